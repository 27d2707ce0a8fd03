"""3D-GAN (Wu et al. 2016) on voxel_shapes32 (ganjax/families/gan3d/): the paper's optimizer,
batch and adaptive critic at 32^3.

  python experiments/train.py --config=experiments/configs/gan3d_voxels32.py --workdir=DIR

The paper's widths (g_features 512, d_features 128) cost about 6.5 GFLOP per example for one forward
pass of G and D together (counted by hand); on a CPU, --config.model.g_features=64 --config.model.d_features=16
trains at a usable rate (docs/benchmarks/gan3d.md).
"""

import ml_collections

from experiments.configs import base


def get_config():
  c = base.get_config()
  c.dataset.name = "voxel_shapes32"
  c.model = ml_collections.ConfigDict(dict(
      name="gan3d", latent_dim=200, g_features=512, d_features=128, adaptive_threshold=0.8,
      conv="blocked"))
  # Sec. 3.2: binary cross entropy; G minimises -log D(G(z)) (Goodfellow et al. 2014's form).
  c.loss, c.loss_kwargs, c.regularizers = "non_saturating", ml_collections.ConfigDict(), None
  # Sec. 3.2: "The learning rate of G is 0.0025, D is 10^-5, and we use a batch size of 100.
  # We use ADAM for optimization, with beta = 0.5." skip_zero_grads: the adaptive critic's
  # skipped steps leave D and its Adam state unchanged (ganjax/optimizers.py).
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=2.5e-3, b1=0.5),
      d=dict(name="adam", learning_rate=1e-5, b1=0.5, skip_zero_grads=True)))
  c.batch_size = 100
  c.num_train_steps = 10_000  # 100 epochs of the 10,000 training shapes
  c.num_grid_samples = 36
  c.sample_every, c.checkpoint_every, c.log_every = 500, 500, 50
  return c
