"""Projection discriminator (Miyato & Koyama 2018) on Fashion-MNIST: conditional BatchNorm in
DCGAN's generator, the class projection <V[y], phi(x)> on DCGAN's spectrally normalised critic,
hinge loss."""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="projection", latent_dim=32, dropout_rate=0.0, spectral_norm=True))
  c.loss = "hinge"
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=2e-4, b1=0.0, b2=0.9),
      d=dict(name="adam", learning_rate=2e-4, b1=0.0, b2=0.9)))
  c.num_grid_samples = 80  # the training grid: a row of 8 per class
  return c
