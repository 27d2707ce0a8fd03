"""pix2pix (Isola et al. 2017) on edges2fashion: Fashion-MNIST clothes drawn from their Canny edge
maps, 32x32 (ganjax/families/pix2pix). The reference's recipe: vanilla GAN loss, L1 weight 100,
Adam 2e-4 with b1 = 0.5, the learning rate constant for the first half and linearly decayed to 0
over the second, instance-normalised U-Net (dropout as noise) and PatchGAN. Features are half the
paper's (32 at the first level, not 64) to fit a CPU budget; `--config.model.adversarial=False`
trains the same U-Net with L1 alone (the paper's ablation)."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.dataset.name = "edges2fashion"
  c.model = ml_collections.ConfigDict(dict(
      name="pix2pix", g_features=(32, 64, 128, 256, 256), dropout_rate=0.5, dropout_layers=2,
      d_features=(32, 64, 128), norm="instance", l1_weight=100.0, adversarial=True))
  c.loss = "non_saturating"
  c.loss_kwargs = ml_collections.ConfigDict()
  c.num_train_steps = 2000
  half = c.num_train_steps // 2
  adam = dict(name="adam", learning_rate=2e-4, b1=0.5, b2=0.999, decay_start=half, decay_steps=half)
  c.optimizers = ml_collections.ConfigDict(dict(g=dict(adam), d=dict(adam)))
  c.num_grid_samples = 16  # test examples shown as input | output | target columns
  c.eval_metrics = "translation"  # with --config.eval_every=N: FID, accuracy, L1, SSIM of test translations
  return c
