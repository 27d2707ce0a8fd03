"""ESRGAN-lite (Wang et al. 2018) on fashion_mnist_sr4, built on srgan_fashion_mnist.py: an RRDB
generator without BatchNorm (residual scaling 0.2, small init), model.mse_steps of L1 pretraining
(the PSNR-oriented stage) then pre-activation feature content (the shipped Fashion-MNIST
classifier's last conv, before its ReLU) + 5e-3 RaGAN + 1e-2 L1, EMA of G. Narrowed to a CPU
budget: 4 RRDBs of 32 channels (growth 16) instead of 23 of 64 (32); Adam 1e-4, betas (0.9, 0.99)
(Sec. 4.1)."""

import ml_collections

from experiments.configs import srgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = srgan_fashion_mnist.get_config()
  c.model.update(dict(name="esrgan", g_blocks=4, ema=True, pretrain="l1", preactivation=True,
                      l1_weight=1e-2, adv_weight=5e-3))
  c.model.g_growth = 16
  c.loss = "relativistic_average"
  c.ema_decay = 0.999
  for player in ("g", "d"):
    c.optimizers[player].b2 = 0.99
  return c
