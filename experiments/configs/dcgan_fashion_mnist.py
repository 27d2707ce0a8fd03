"""The seed DCGAN on Fashion-MNIST (default config of `make demo`)."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  # Model: the family and its networks (ganjax/families/dcgan).
  c.model = ml_collections.ConfigDict(dict(
      name="dcgan", latent_dim=32, dropout_rate=0.4, spectral_norm=False,
      g_norm="batch",  # or "virtual_batch"
      vbn_reference_size=32,
      minibatch_stddev=False, minibatch_stddev_group=4,
      minibatch_discrimination=0,  # number of kernels; 0 = off
      minibatch_kernel_dim=5))
  # Training: the adversarial objective's pieces.
  c.loss = "non_saturating"  # any ganjax.objectives.losses.LOSSES name
  c.loss_kwargs = ml_collections.ConfigDict()  # e.g. {"label_smoothing": 0.1} for non_saturating
  # D regularizers by name -> hyperparameters (ganjax/objectives/regularizers.py), e.g. {"r1": {"weight": 1.0}}.
  c.regularizers = ml_collections.ConfigDict()
  c.g_objective = "adversarial"  # or "feature_matching"
  c.d_steps = 1
  # Augmentation of everything D sees (DiffAugment policy, ADA), all off.
  c.augment = ml_collections.ConfigDict(dict(policy="", p=1.0, ada=False, ada_p_init=0.0,
                                             ada_target=0.6, ada_interval=4, ada_kimg=500.0))
  # RMSprop with Keras' defaults, as the seed compiles both models; one optimizer per player.
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="rmsprop", learning_rate=1e-3), d=dict(name="rmsprop", learning_rate=1e-3)))
  return c
