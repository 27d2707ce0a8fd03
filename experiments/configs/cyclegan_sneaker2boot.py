"""CycleGAN (Zhu et al. 2017) on sneaker2boot: Fashion-MNIST sneakers <-> ankle boots, unpaired,
32x32 (ganjax/families/cyclegan). The reference's recipe: least-squares GAN loss, cycle weight 10,
identity weight 0.5 (x 10), replay buffers of 50 past fakes, Adam 2e-4 with b1 = 0.5, the learning
rate constant for the first half and linearly decayed to 0 over the second, instance-normalised
ResNet translators and PatchGAN critics. Sized for a CPU budget at 32x32: F = 16 (the paper's 64)
and 3 residual blocks at 8x8 (the paper's 6 at 32x32 for 128x128 images), critics (16, 32, 64);
about 3.5x faster per step than F = 32 with 6 blocks (BENCHMARKS.md)."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.dataset.name = "sneaker2boot"
  c.model = ml_collections.ConfigDict(dict(
      name="cyclegan", g_features=16, g_blocks=3, d_features=(16, 32, 64), norm="instance",
      cycle_weight=10.0, identity_weight=0.5, pool_size=50))
  c.loss = "least_squares"
  c.loss_kwargs = ml_collections.ConfigDict()
  c.batch_size = 16
  c.num_train_steps = 2000
  half = c.num_train_steps // 2
  adam = dict(name="adam", learning_rate=2e-4, b1=0.5, b2=0.999, decay_start=half, decay_steps=half)
  c.optimizers = ml_collections.ConfigDict(dict(g=dict(adam), d=dict(adam)))
  c.num_grid_samples = 16  # test examples per direction as input | output | reconstruction columns
  c.eval_metrics = "translation"  # with --config.eval_every=N: FID, accuracy, cycle L1 per direction
  return c
