"""Unconditional GAN on the 5x5 grid of Gaussians (VEEGAN / PacGAN set-up: means on
{-4, -2, 0, 2, 4}^2, std 0.05). Same models and training as gan_ring8."""

from experiments.configs import gan_ring8


def get_config():
  c = gan_ring8.get_config()
  c.dataset.name = "grid25"
  return c
