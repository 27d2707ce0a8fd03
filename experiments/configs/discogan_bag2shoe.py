"""DiscoGAN (Kim et al. 2017) on bag2shoe: Fashion-MNIST bags <-> shoes (sandals, sneakers, ankle
boots), unpaired, 32x32 (ganjax/families/discogan). The reference's recipe (SKTBrain/DiscoGAN
`image_translation.py`): batch-normalised encoder-decoder translators and conv critics, GAN loss
0.1 + feature matching 0.9 against reconstruction at rate 0.01 for the first gan_curriculum steps
and 0.5 afterwards, two G updates per D update, Adam 2e-4 with betas (0.5, 0.999). Widths are half
the reference's (32, 64, 128 over three levels: 32x32 -> 4x4, as its 64x64 -> 4x4); the curriculum
is 1000 steps (the reference's 10000 suits its longer runs)."""

import ml_collections

from experiments.configs import base


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.dataset.name = "bag2shoe"
  c.model = ml_collections.ConfigDict(dict(
      name="discogan", g_features=(32, 64, 128), d_features=(32, 64, 128), norm="batch",
      starting_rate=0.01, default_rate=0.5, gan_curriculum=1000, g_steps=2))
  c.batch_size = 32
  c.num_train_steps = 2000  # the budget of the BENCHMARKS.md figures
  adam = dict(name="adam", learning_rate=2e-4, b1=0.5, b2=0.999)
  c.optimizers = ml_collections.ConfigDict(dict(g=dict(adam), d=dict(adam)))
  c.num_grid_samples = 16  # test examples per direction as input | output | reconstruction columns
  c.eval_metrics = "translation"  # with --config.eval_every=N: FID, accuracy, cycle L1 per direction
  return c
