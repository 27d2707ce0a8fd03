"""pix2pix family (Isola et al. 2017): U-Net generator (networks.py), PatchGAN discriminator on
(input, output) pairs (ganjax/nn/patchgan.py), adversarial + L1 objective (objective.py), for
paired datasets (batch fields "source" and "target", e.g. edges2fashion).

config.model: g_features ((64, 128, 256, 512, 512): one entry per halving, so 2^len must divide H
and W), dropout_rate (0.5), dropout_layers (2: the innermost decoder layers with dropout),
d_features ((64, 128, 256)), norm ("instance"), l1_weight (100), adversarial (True; False = the
L1-only ablation: D gets no phase). Training: config.loss / loss_kwargs ("non_saturating": the reference's
vanilla GAN loss); optimizers g (and d when adversarial).
"""

from __future__ import annotations

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.pix2pix.networks import UNetGenerator
from ganjax.families.pix2pix.objective import Pix2PixObjective
from ganjax.losses import get_loss
from ganjax.nn.patchgan import PatchDiscriminator


def _check_paired(spec, features) -> None:
  if spec.kind != "paired":
    raise ConfigError(f"pix2pix needs a paired dataset (batch fields 'source' and 'target', such as "
                      f"edges2fashion); this dataset has fields {list(spec.fields)}.")
  h, w = spec.shape[:2]
  if h % 2 ** len(features) or w % 2 ** len(features):
    raise ConfigError(f"model.g_features has {len(features)} levels, so H and W must be divisible "
                      f"by {2 ** len(features)}; the images are {h}x{w}. Drop levels or pad the data.")


@FAMILIES.register("pix2pix")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  features = tuple(cfg.get("g_features", (64, 128, 256, 512, 512)))
  _check_paired(ctx.spec, features)
  adversarial = bool(cfg.get("adversarial", True))
  g = UNetGenerator(ctx.spec.shape[-1], features, float(cfg.get("dropout_rate", 0.5)),
                    model_number(cfg, "dropout_layers", 2, minimum=0, integer=True),
                    cfg.get("norm", "instance"), dtype=ctx.dtype, layers=ctx.layers)
  # D is built even for the L1-only ablation (it then has no phase and is never trained), so the
  # ablation is one flag: --config.model.adversarial=False, same players and optimizers.
  d = PatchDiscriminator(tuple(cfg.get("d_features", (64, 128, 256))), cfg.get("norm", "instance"),
                         ctx.axis_name, ctx.dtype, ctx.layers)
  modules, players = {"g": g, "d": d}, {"g": ("g",), "d": ("d",)}
  source = ctx.spec.example("source")
  pair = source.update(shape=(*source.shape[:-1], 2 * source.shape[-1]))
  examples = {"g": (source,), "d": (pair,)}
  nets = Networks(modules)
  objective = Pix2PixObjective(nets, get_loss(config.get("loss", "non_saturating"),
                                              **dict(config.get("loss_kwargs", {}))),
                               float(model_number(cfg, "l1_weight", 100.0, minimum=0)), adversarial,
                               ctx.axis_name)
  return Family(networks=nets.modules, players=players, example_inputs=examples,
                objective=objective, ema=("g",), fields=("source", "target"))
