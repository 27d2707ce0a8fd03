"""Unconditional GAN on the ring of 8 Gaussians (VEEGAN / PacGAN set-up: radius 2, std 0.02).

Logs toy metrics (toy/modes, toy/hq_percent, toy/reverse_kl) and a scatter plot every
`sample_every` steps. `python -m ganjax.data.prepare ring8` prepares the data (or first use does).
"""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.dataset.name = "ring8"
  c.model = ml_collections.ConfigDict(dict(
      name="mlp", latent_dim=16, g_hidden=(128, 128, 128), d_hidden=(128, 128, 128),
      activation="relu", output_activation="none"))
  # Measured (BENCHMARKS.md, toy mixtures): without a regularizer no loss reliably covers 8/8
  # (minimax 7.3 +- 0.5 modes at 4000 steps); non-saturating + R1 (gamma 0.1) with a generator
  # learning rate 4x the discriminator's covers 8/8 modes on seeds 0, 1, 2 with 90.7 / 86.8 /
  # 87.5 % high-quality EMA samples at 8000 steps.
  c.loss = "non_saturating"
  c.regularizers = ml_collections.ConfigDict({"r1": {"weight": 0.1}})
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=2e-3, b1=0.5, b2=0.999),
      d=dict(name="adam", learning_rate=5e-4, b1=0.5, b2=0.999)))
  c.batch_size = 256
  c.num_train_steps = 8000
  c.ema_decay = 0.999
  c.log_every = 100
  c.sample_every = 1000
  c.checkpoint_every = 8000
  c.toy_metric_samples = 2500  # samples scored per evaluation (VEEGAN and PacGAN use 2500)
  return c
