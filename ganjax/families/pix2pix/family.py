"""pix2pix family (Isola et al. 2017): U-Net generator (networks.py), PatchGAN discriminator on
(input, output) pairs (ganjax/nn/patchgan.py), adversarial + L1 objective (objective.py), for
paired datasets (batch fields "source" and "target", e.g. edges2fashion).

Hyperparameters: defaults() below, updated by the config (config.model, config.loss /
loss_kwargs). model.adversarial False is the L1-only ablation: D gets no phase. Optimizers g (and
d when adversarial).
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import game
from ganjax.families.checks import flag, hyperparameters, image_shape, number, one_of, paired, widths
from ganjax.families.pix2pix.networks import UNetGenerator
from ganjax.families.pix2pix.objective import Pix2PixObjective
from ganjax.families.shared import NORMS
from ganjax.nn.patchgan import PatchDiscriminator
from ganjax.objectives.losses import loss_from_config


def defaults() -> dict:
  """Isola et al. 2017 (Sec. 3-4, appendix 6.1-6.2), at the smaller sizes ganjax's data has."""
  return dict(
      model=dict(
          # One entry per halving, so 2^len must divide H and W: the paper's encoder
          # C64-C128-C256-C512-C512-... for 256x256, cut to 5 levels.
          g_features=(64, 128, 256, 512, 512),
          dropout_rate=0.5,  # appendix 6.1.1: dropout 50% in the decoder (the noise z, Sec. 3.1)
          dropout_layers=2,  # the innermost decoder layers with dropout (the paper's: 3 of 8)
          d_features=(64, 128, 256),  # appendix 6.1.2: C64-C128-C256(-C512), a smaller patch
          # The paper's BatchNorm at batch 1 is instance norm (Sec. 3.3); ganjax's batches are larger.
          norm="instance",
          l1_weight=100.0,  # Sec. 4: lambda = 100
          adversarial=True,  # False: the L1-only ablation of Sec. 4.2
      ),
      loss="non_saturating",  # Sec. 3.3: the original GAN loss, G maximising log D(x, G(x))
      loss_kwargs={},
  )


@FAMILIES.register("pix2pix")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  features = widths(hp, "model.g_features")
  paired("pix2pix", ctx.spec, "edges2fashion")
  image_shape("pix2pix", ctx.spec.shape, divisor=2 ** len(features),
              because=f" (model.g_features has {len(features)} levels, each halving)")
  norm = one_of(hp, "model.norm", NORMS)
  g = UNetGenerator(ctx.spec.shape[-1], features,
                    float(number(hp, "model.dropout_rate", minimum=0, maximum=1)),
                    number(hp, "model.dropout_layers", minimum=0, integer=True), norm,
                    dtype=ctx.dtype, layers=ctx.layers)
  # D is built even for the L1-only ablation (it then has no phase and is never trained), so the
  # ablation is one flag: --config.model.adversarial=False, same players and optimizers.
  d = PatchDiscriminator(widths(hp, "model.d_features"), norm, ctx.axis_name, ctx.dtype, ctx.layers)
  source = ctx.spec.example("source")
  pair = source.update(shape=(*source.shape[:-1], 2 * source.shape[-1]))
  objective = lambda nets: Pix2PixObjective(
      nets, loss_from_config(hp), float(number(hp, "model.l1_weight", minimum=0)),
      flag(hp, "model.adversarial"), ctx.axis_name)
  return game({"g": g, "d": d}, {"g": ("g",), "d": ("d",)}, {"g": (source,), "d": (pair,)},
              objective, ema=("g",), fields=("source", "target"))
