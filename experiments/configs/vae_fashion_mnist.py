"""VAE baseline on Fashion-MNIST: DCGAN's generator as decoder, a mirrored encoder, Bernoulli
likelihood on grey levels; its samples enter the same FID table as the GANs'."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="vae", latent_dim=32, likelihood="bernoulli", sigma=0.1, beta=1.0,
      g_base_features=128, g_mid_features=64, d_features=(64, 128)))
  c.optimizers = ml_collections.ConfigDict(dict(vae=dict(name="adam", learning_rate=1e-3)))
  return c
