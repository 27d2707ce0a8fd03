"""SRResNet (Ledig et al. 2017) on fashion_mnist_sr4: 7x7 Pillow-bicubic inputs -> 28x28
Fashion-MNIST, MSE alone (ganjax/families/superres). The paper's generator (16 residual blocks of
64 channels, two x2 pixel-shuffle upsamplers, 9x9 head and tail) narrowed to 8 blocks of 32 to fit
a CPU budget; Adam 1e-4 (Sec. 3.2: lr 1e-4, beta1 0.9), batch 16 (the paper's)."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.dataset.name = "fashion_mnist_sr4"
  c.model = ml_collections.ConfigDict(dict(
      name="srresnet", scale=4, g_features=32, g_blocks=8, adversarial=False, pretrain="mse",
      ema=False))
  c.batch_size = 16
  c.num_train_steps = 2000
  c.optimizers = ml_collections.ConfigDict(dict(g=dict(name="adam", learning_rate=1e-4, b1=0.9,
                                                       b2=0.999)))
  c.num_grid_samples = 16  # test lr inputs, upscaled
  c.eval_metrics = "psnr,ssim,fid"
  return c
