"""CycleGAN family (Zhu et al. 2017): two ResNet translators (networks.py), two PatchGAN critics
(ganjax/nn/patchgan.py) with replay buffers of past fakes (ganjax/nn/image_pool.py), and the
adversarial + cycle + identity objective (objective.py), for unpaired datasets (batch fields "a"
and "b", e.g. sneaker2boot). Players: "g" trains g_ab and g_ba (EMA copies translate), "d" trains
d_a and d_b and keeps pool_a and pool_b.

config.model: g_features (64: F of c7s1-F; the ResNet's widths are F, 2F, 4F), g_blocks (6
residual blocks), d_features ((64, 128, 256)), norm ("instance"), cycle_weight (10),
identity_weight (0.5, a multiple of cycle_weight; 0 = no identity term), pool_size (50 past
fakes per critic; 1 keeps the critics nearly on the newest fakes). Training: config.loss / loss_kwargs ("least_squares", the
reference's LSGAN); optimizers g and d.
"""

from __future__ import annotations

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.cyclegan.networks import ResnetGenerator
from ganjax.families.cyclegan.objective import CycleGANObjective
from ganjax.losses import get_loss
from ganjax.nn.image_pool import ImagePool
from ganjax.nn.patchgan import PatchDiscriminator


def check_unpaired(family: str, config, spec, divisor: int) -> None:
  """ConfigError unless the dataset has domains "a" and "b" whose H and W divide by `divisor`."""
  if tuple(spec.domains) != ("a", "b"):
    raise ConfigError(f"{family} needs an unpaired dataset such as "
                      f"{'sneaker2boot' if family == 'cyclegan' else 'bag2shoe'} (batch fields 'a' "
                      f"and 'b'); got {config.dataset.name!r} with fields {list(spec.fields)}.")
  h, w = spec.shape[:2]
  if h % divisor or w % divisor:
    raise ConfigError(f"{family}'s generator halves the images {divisor.bit_length() - 1} times, so "
                      f"H and W must be divisible by {divisor}; the images are {h}x{w}.")


@FAMILIES.register("cyclegan")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  check_unpaired("cyclegan", config, ctx.spec, 4)
  norm = cfg.get("norm", "instance")
  g = lambda: ResnetGenerator(ctx.spec.shape[-1], model_number(cfg, "g_features", 64, integer=True),
                              model_number(cfg, "g_blocks", 6, minimum=0, integer=True), norm,
                              dtype=ctx.dtype, layers=ctx.layers)
  d = lambda: PatchDiscriminator(tuple(cfg.get("d_features", (64, 128, 256))), norm, ctx.axis_name,
                                 ctx.dtype, ctx.layers)
  pool_size = model_number(cfg, "pool_size", 50, integer=True)
  pool = lambda: ImagePool(pool_size, ctx.axis_name)
  nets = Networks({"g_ab": g(), "g_ba": g(), "d_a": d(), "d_b": d(), "pool_a": pool(),
                   "pool_b": pool()})
  objective = CycleGANObjective(
      nets, get_loss(config.get("loss", "least_squares"), **dict(config.get("loss_kwargs", {}))),
      float(model_number(cfg, "cycle_weight", 10.0, minimum=0)),
      float(model_number(cfg, "identity_weight", 0.5, minimum=0)))
  example = (ctx.spec.example("a"),)
  return Family(networks=nets.modules,
                players={"g": ("g_ab", "g_ba"), "d": ("d_a", "d_b", "pool_a", "pool_b")},
                example_inputs={n: example for n in nets.modules}, objective=objective,
                ema=("g_ab", "g_ba"), fields=("a", "b"))
