"""3D-GAN family (Wu et al. 2016): a voxel generator against a 3-D convolutional critic with the
paper's adaptive critic updates (networks.py, objective.py), on a dataset whose primary field is
an occupancy grid [32, 32, 32, 1] (voxel_shapes32). Hyperparameters: defaults() below, updated by
config.model; the paper's optimizer and batch are in experiments/configs/gan3d_voxels32.py.
"""

from __future__ import annotations

import dataclasses

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import as_subclass, two_player_family
from ganjax.families.checks import hyperparameters, number, one_of
from ganjax.families.gan3d.networks import VoxelCritic, VoxelGenerator
from ganjax.families.gan3d.objective import AccuracyTerm, Gan3DObjective, adaptive_technique
from ganjax.objectives.priors import GaussianPrior

SHAPE = (32, 32, 32, 1)


def defaults() -> dict:
  """Wu et al. 2016 (3D-GAN), Sec. 3.1-3.2, with the 64^3 networks cut to 32^3 (networks.py)."""
  return dict(model=dict(
      latent_dim=200,  # Sec. 3.1: a 200-dimensional latent vector z (drawn here from N(0, I),
                       # the prior ganjax's latent families share)
      g_features=512,  # Fig. 1: 512 channels at 4^3, halved per block
      d_features=128,  # D mirrors G: 128, 256, 512 channels at 16^3, 8^3, 4^3
      adaptive_threshold=0.8,  # Sec. 3.2: D updated only if its last-batch accuracy <= 80%
      conv="blocked",  # ganjax: ganjax/nn/conv3d.py's undilated form; "layers": the layer set's
  ))


@FAMILIES.register("gan3d")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  if tuple(ctx.spec.shape) != SHAPE:
    raise ConfigError(f"model 'gan3d' makes occupancy grids {SHAPE}; dataset "
                      f"{config.dataset.name!r} has samples of shape {tuple(ctx.spec.shape)} "
                      f"(use voxel_shapes32).")
  g_features = number(hp, "model.g_features", integer=True, minimum=4)
  if g_features % 4:
    raise ConfigError(f"config.model.g_features must be a multiple of 4 (it is halved twice), "
                      f"got {g_features}.")
  d_features = number(hp, "model.d_features", integer=True)
  threshold = number(hp, "model.adaptive_threshold", minimum=0)
  d_optimizer = (config.get("optimizers", None) or {}).get("d", None) or {}
  if threshold < 1 and not d_optimizer.get("skip_zero_grads", False):
    raise ConfigError("model 'gan3d' with adaptive_threshold < 1 skips D's updates by zeroing its "
                      "loss; set config.optimizers.d.skip_zero_grads=True so that a skipped step "
                      "leaves D's parameters and Adam state unchanged (or adaptive_threshold=1 to "
                      "update D on every step).")
  conv = one_of(hp, "model.conv", ("blocked", "layers"))
  g = VoxelGenerator(g_features, SHAPE[0], ctx.axis_name, ctx.dtype, conv, ctx.layers)
  d = VoxelCritic(d_features, ctx.axis_name, ctx.dtype, conv, ctx.layers)

  def extend(base):
    objective = as_subclass(base, Gan3DObjective, threshold=float(threshold))
    return dataclasses.replace(objective, techniques=(*base.techniques, adaptive_technique()))

  return two_player_family(config, ctx, g, d, prior=GaussianPrior(number(hp, "model.latent_dim",
                                                                         integer=True)),
                           aux=(AccuracyTerm(),), extend=extend, fields={ctx.spec.data_field: SHAPE})
