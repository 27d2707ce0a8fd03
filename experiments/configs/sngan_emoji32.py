"""SNGAN (Miyato et al. 2018) on 32x32 colour emoji: the CIFAR-10 ResNet with spectral norm in the
critic, hinge loss, 5 critic steps per G step, Adam (2e-4, betas 0, 0.9) for both players, an EMA
of G for samples (ganjax/families/sngan).

Widths for the CPU: G 64 / D 64 channels, batch 32 (step rates in BENCHMARKS.md, "Speed against
the PyTorch peers"). The paper's CIFAR-10 values: G 256 / D 128, batch 64, z 128, 50k G steps
(learning rate decayed linearly to 0 in the reference code).
"""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.dataset.name = "emoji32"
  c.model = ml_collections.ConfigDict(dict(
      name="sngan", latent_dim=128,
      g_features=64,  # paper: 256
      d_features=64,  # paper: 128
      spectral_norm=True))
  c.loss = "hinge"
  c.d_steps = 5  # critic updates per G update (the paper's n_dis)
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=2e-4, b1=0.0, b2=0.9),
      d=dict(name="adam", learning_rate=2e-4, b1=0.0, b2=0.9)))
  c.batch_size = 32  # paper: 64
  c.num_train_steps = 5000  # G steps; paper: 50000
  c.ema_decay = 0.999
  c.log_every, c.sample_every, c.checkpoint_every = 50, 500, 500
  return c
