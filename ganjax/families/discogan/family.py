"""DiscoGAN family (Kim et al. 2017): two encoder-decoder translators and two convolutional
critics (networks.py), trained with the GAN + feature-matching + reconstruction objective and the
reference's rate curriculum (objective.py), for unpaired datasets (batch fields "a" and "b", e.g.
bag2shoe). Players: "g" trains g_ab and g_ba (EMA copies translate), "d" trains d_a and d_b.

Hyperparameters: defaults() below, updated by config.model. The GAN loss is the reference's
(non-saturating BCE); optimizers g and d.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import translator_pair
from ganjax.families.checks import hyperparameters, image_shape, number, one_of, unpaired, widths
from ganjax.families.discogan.networks import ConvDiscriminator, EncoderDecoder
from ganjax.families.discogan.objective import DiscoGANObjective
from ganjax.families.shared import NORMS


def defaults() -> dict:
  """Kim et al. 2017 and its reference code (SKTBrain/DiscoGAN, discogan/image_translation.py),
  at ganjax's 32x32."""
  return dict(model=dict(
      # One stride-2 level each, so 2^len must divide H and W (32x32 -> 4x4); the reference's
      # 64x64 nets have one more level (64-128-256-512).
      g_features=(64, 128, 256),
      d_features=(64, 128, 256),
      norm="batch",  # the reference's BatchNorm (or "instance")
      starting_rate=0.01,  # the reference's starting_rate: reconstruction weight early on
      default_rate=0.5,  # the reference's default_rate: after the curriculum
      gan_curriculum=1000,  # steps at starting_rate (the reference's 10000 suits longer runs)
      g_steps=2,  # G updates per D update (the reference's update_interval 3)
  ))


@FAMILIES.register("discogan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  g_features = widths(hp, "model.g_features")
  d_features = widths(hp, "model.d_features", levels=2)  # feature matching reads all but the first
  unpaired("discogan", config, ctx.spec, "bag2shoe")
  levels = max(len(g_features), len(d_features))
  image_shape("discogan", ctx.spec.shape, divisor=2 ** levels,
              because=f" (the networks halve them {levels} times)")
  common = dict(norm=one_of(hp, "model.norm", NORMS), axis_name=ctx.axis_name, dtype=ctx.dtype,
                layers=ctx.layers)
  rate = lambda field: float(number(hp, f"model.{field}", minimum=0, maximum=1))
  objective = lambda nets: DiscoGANObjective(
      nets, rate("starting_rate"), rate("default_rate"),
      number(hp, "model.gan_curriculum", minimum=0, integer=True),
      number(hp, "model.g_steps", integer=True), axis_name=ctx.axis_name)
  return translator_pair(ctx, lambda: EncoderDecoder(g_features, out_channels=ctx.spec.shape[-1],
                                                     **common),
                         lambda: ConvDiscriminator(d_features, **common), objective)
