"""A test-only family on 3-D data: a class-conditional voxel GAN on 8^3 occupancy grids, built with
nothing but ganjax's public API (a dataset schema, DATASETS, FAMILIES, the two-player family
builder, the injected N-D layers), so that 3-D families need no edit of the core.

Dataset "test_voxels8": procedural 8^3 grids, class 0 a solid box, class 1 a solid ball, of random
size and position (train and test from different seeds). Family "test_voxel_gan": G(z, label) ->
3-D transposed convolutions -> sigmoid occupancy [B, 8, 8, 8, 1]; D(voxels, label) -> 3-D
convolutions with a projection head. Samples take `cond={"label": [n]}`; grids render each
sample as its occupancy's maximum along depth. Importing this module registers both.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax.numpy as jnp
import ml_collections
import numpy as np
import tensorflow_datasets as tfds

from ganjax.core.outputs import DOutput
from ganjax.data import schema
from ganjax.data.sources import DATASETS, DatasetSpec
from ganjax.families import FAMILIES
from ganjax.families.assembly import as_subclass, two_player_family
from ganjax.nn.layers import PLAIN, Layers
from ganjax.objectives import AdversarialObjective
from ganjax.objectives.priors import GaussianPrior

SIZE = 8


def shape_grid(kind: int, rng: np.random.Generator) -> np.ndarray:
  """uint8 [8, 8, 8, 1] occupancy: kind 0 a box, 1 a ball, random size and centre."""
  axis = np.arange(SIZE) + 0.5
  d, h, w = np.meshgrid(axis, axis, axis, indexing="ij")
  centre = rng.uniform(3.0, 5.0, size=3)
  if kind == 0:
    half = rng.uniform(1.5, 3.0, size=3)
    inside = ((np.abs(d - centre[0]) <= half[0]) & (np.abs(h - centre[1]) <= half[1])
              & (np.abs(w - centre[2]) <= half[2]))
  else:
    inside = (d - centre[0]) ** 2 + (h - centre[1]) ** 2 + (w - centre[2]) ** 2 <= \
        rng.uniform(2.0, 3.2) ** 2
  return inside.astype(np.uint8)[..., None]


class Voxels8(tfds.core.GeneratorBasedBuilder):
  """{"voxels": uint8 [8, 8, 8, 1] in {0, 1}, "label": 0 box | 1 ball}: 512 train, 128 test."""
  VERSION = tfds.core.Version("1.0.0")
  SPLITS = {"train": (512, 0), "test": (128, 1)}

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "voxels": tfds.features.Tensor(shape=(SIZE,) * 3 + (1,), dtype=np.uint8),
        "label": tfds.features.ClassLabel(names=["box", "ball"])}))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {split: self._generate_examples(n, seed) for split, (n, seed) in self.SPLITS.items()}

  def _generate_examples(self, n, seed):
    rng = np.random.default_rng(seed)
    for i in range(n):
      yield i, {"voxels": shape_grid(i % 2, rng), "label": i % 2}


DATASETS.register("test_voxels8", DatasetSpec(
    Voxels8, None, num_classes=2, in_memory=True,
    schema=(schema.voxels("voxels", (SIZE,) * 3 + (1,)), schema.label(2))), overwrite=True)


class VoxelGenerator(nn.Module):
  """(z [B, latent], label [B]) -> occupancy [B, 8, 8, 8, 1] in (0, 1)."""
  num_classes: int
  features: int = 16
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z, label, *, train: bool):
    del train
    x = z * self.layers.embed(self.num_classes, z.shape[-1])(label)
    x = nn.relu(self.layers.dense(2 * 2 * 2 * self.features)(x)).reshape(-1, 2, 2, 2, self.features)
    x = nn.relu(self.layers.conv_transpose(self.features, (4, 4, 4), (2, 2, 2))(x))
    return nn.sigmoid(self.layers.conv_transpose(1, (4, 4, 4), (2, 2, 2))(x))


class VoxelCritic(nn.Module):
  """(voxels [B, 8, 8, 8, 1], label [B]) -> DOutput(logits [B]): 3-D convs, a projection head."""
  num_classes: int
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x, label, *, train: bool):
    del train
    x = x * 2.0 - 1.0  # occupancy in [0, 1] -> [-1, 1]
    for f in (16, 32):
      x = nn.leaky_relu(self.layers.conv(f, (4, 4, 4), (2, 2, 2))(x), 0.2)
    features = x.reshape(x.shape[0], -1)
    projection = jnp.sum(self.layers.embed(self.num_classes, features.shape[-1])(label) * features,
                         axis=-1)
    return DOutput(logits=self.layers.dense(1)(features)[:, 0] + projection, features=features,
                   projection=projection)


@dataclasses.dataclass(frozen=True)
class VoxelObjective(AdversarialObjective):
  """The adversarial objective plus a rendering of voxels for grids (the Renders capability)."""

  @staticmethod
  def render(samples):
    """occupancy [n, D, H, W, 1] in [0, 1] -> images [n, H, W, 1] in [-1, 1]: max along depth."""
    return jnp.max(samples, axis=1) * 2.0 - 1.0


@FAMILIES.register("test_voxel_gan", overwrite=True)
def build(config, ctx):
  k, latent = ctx.spec.num_classes, config.model.latent_dim
  return two_player_family(
      config, ctx, VoxelGenerator(k, config.model.features, layers=ctx.layers),
      VoxelCritic(k, layers=ctx.layers), prior=GaussianPrior(latent, k), critic_reads_label=True,
      extend=lambda base: as_subclass(base, VoxelObjective),
      fields={"voxels": (SIZE,) * 3 + (1,), "label": ()})


def get_config():
  from experiments.configs import base
  c = base.get_config()
  c.dataset.name = "test_voxels8"
  c.model = ml_collections.ConfigDict(dict(name="test_voxel_gan", latent_dim=16, features=16))
  c.loss, c.loss_kwargs, c.regularizers = "non_saturating", ml_collections.ConfigDict(), None
  c.optimizers = ml_collections.ConfigDict(
      {p: dict(name="adam", learning_rate=2e-3, b1=0.5) for p in ("g", "d")})
  c.batch_size, c.num_train_steps, c.log_every, c.sample_every = 16, 20, 10, 10
  c.checkpoint_every = 10
  return c
