"""Conditional GAN (Mirza & Osindero 2014) on Fashion-MNIST: DCGAN's networks and training, the
class as a label embedding beside z in G and as one-hot planes on D's input."""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="cgan", latent_dim=32, label_embed_dim=16, dropout_rate=0.4, spectral_norm=False))
  c.num_grid_samples = 80  # the training grid: a row of 8 per class
  return c
