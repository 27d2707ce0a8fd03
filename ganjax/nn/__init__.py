"""Model building blocks shared by families: the injected layer set, spectral norm, minibatch layers."""
