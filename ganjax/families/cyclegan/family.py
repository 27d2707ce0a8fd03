"""CycleGAN family (Zhu et al. 2017): two ResNet translators (networks.py), two PatchGAN critics
(ganjax/nn/patchgan.py) with replay buffers of past fakes (ganjax/nn/image_pool.py), and the
adversarial + cycle + identity objective (objective.py), for unpaired datasets (batch fields "a"
and "b", e.g. sneaker2boot). Players: "g" trains g_ab and g_ba (EMA copies translate), "d" trains
d_a and d_b and keeps pool_a and pool_b.

Hyperparameters: defaults() below, updated by the config (config.model, config.loss /
loss_kwargs); optimizers g and d.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import translator_pair
from ganjax.families.checks import hyperparameters, image_shape, number, one_of, unpaired, widths
from ganjax.families.cyclegan.networks import ResnetGenerator
from ganjax.families.cyclegan.objective import CycleGANObjective
from ganjax.families.shared import NORMS
from ganjax.nn.image_pool import ImagePool
from ganjax.nn.patchgan import PatchDiscriminator
from ganjax.objectives.losses import loss_from_config


def defaults() -> dict:
  """Zhu et al. 2017 (Sec. 4 and appendix 7) and its reference code
  (junyanz/pytorch-CycleGAN-and-pix2pix)."""
  return dict(
      model=dict(
          g_features=64,  # appendix 7.2: c7s1-64 (the ResNet's widths are F, 2F, 4F)
          g_blocks=6,  # appendix 7.2: 6 residual blocks at 128x128 (9 at 256x256)
          d_features=(64, 128, 256),  # appendix 7.2: C64-C128-C256(-C512), a smaller patch
          norm="instance",  # Sec. 4: instance normalization (Ulyanov et al.)
          cycle_weight=10.0,  # Sec. 4: lambda = 10
          # Sec. 5.2: the identity loss with weight 0.5 lambda (the code's lambda_identity 0.5); 0 = no
          # identity term.
          identity_weight=0.5,
          pool_size=50,  # Sec. 4: a buffer of the 50 previously generated images per critic
      ),
      loss="least_squares",  # Sec. 4: the least-squares loss (LSGAN, Mao et al. 2017)
      loss_kwargs={},
  )


@FAMILIES.register("cyclegan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  unpaired("cyclegan", config, ctx.spec, "sneaker2boot")
  image_shape("cyclegan", ctx.spec.shape, divisor=4, because=" (the generator halves them twice)")
  norm = one_of(hp, "model.norm", NORMS)
  features = number(hp, "model.g_features", integer=True)
  blocks = number(hp, "model.g_blocks", minimum=0, integer=True)
  d_features = widths(hp, "model.d_features")
  pool_size = number(hp, "model.pool_size", integer=True)
  objective = lambda nets: CycleGANObjective(
      nets, loss_from_config(hp), float(number(hp, "model.cycle_weight", minimum=0)),
      float(number(hp, "model.identity_weight", minimum=0)))
  return translator_pair(
      ctx, lambda: ResnetGenerator(ctx.spec.shape[-1], features, blocks, norm, dtype=ctx.dtype,
                                   layers=ctx.layers),
      lambda: PatchDiscriminator(d_features, norm, ctx.axis_name, ctx.dtype, ctx.layers), objective,
      critic_extras={"pool_a": ImagePool(pool_size, ctx.axis_name),
                     "pool_b": ImagePool(pool_size, ctx.axis_name)})
