"""InfoGAN (Chen et al. 2016) on Fashion-MNIST: DCGAN's networks and training, a 10-way
categorical code and 2 continuous codes beside 62 noise dimensions, a Q head on D's trunk, the
mutual-information bound weighted 1 (categorical) and 0.1 (continuous) as in the reference code."""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="infogan", noise_dim=62, categorical_dim=10, continuous_dim=2, categorical_weight=1.0,
      continuous_weight=0.1, q_hidden=128, q_fix_std=True, dropout_rate=0.4, spectral_norm=False))
  return c
