"""ACGAN (Odena et al. 2017) on Fashion-MNIST: DCGAN's networks and training, the class as a
label embedding beside z in G, an auxiliary classifier head on D's trunk (class_weight scales its
cross-entropy in both players' losses)."""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="acgan", latent_dim=32, label_embed_dim=16, class_weight=1.0, dropout_rate=0.4,
      spectral_norm=False))
  c.num_grid_samples = 80  # the training grid: a row of 8 per class
  return c
