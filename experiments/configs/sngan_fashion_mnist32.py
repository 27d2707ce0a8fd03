"""SNGAN on Fashion-MNIST padded to 32x32x1: the model and training of sngan_emoji32.py (where the
paper's values are listed) on another dataset."""

import ml_collections

from experiments.configs import sngan_emoji32


def get_config() -> ml_collections.ConfigDict:
  c = sngan_emoji32.get_config()
  c.dataset.name = "fashion_mnist32"
  return c
