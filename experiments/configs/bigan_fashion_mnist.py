"""BiGAN / ALI on Fashion-MNIST (ganjax/families/bigan): DCGAN's generator, a DCGAN-trunk encoder
and a joint discriminator D(x, z); Adam 2e-4, b1 = 0.5 as in Donahue et al. (2017).

latent_dim 32: at 3000 steps (batch 32) its encoder's linear probe beats an untrained encoder's
by ~2.5 points, where latent_dim 64 tied with it; reconstructions G(E(x)) reach a ratio of ~0.5
(benchmarks/bigan_probe.py)."""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.model = ml_collections.ConfigDict(dict(
      name="bigan", latent_dim=32, g_base_features=128, g_mid_features=64, g_norm="batch",
      d_features=(64, 128), e_features=(64, 128), d_z_features=256, d_hidden=512,
      dropout_rate=0.4, spectral_norm=False))
  # The BiGAN objective reads the adversarial loss and d_steps; the DCGAN objective's
  # regularizers, augmentation and generator strategies do not apply.
  for field in ("regularizers", "augment", "g_objective"):
    del c[field]
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=2e-4, b1=0.5),
      d=dict(name="adam", learning_rate=2e-4, b1=0.5)))
  return c
