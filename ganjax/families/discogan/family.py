"""DiscoGAN family (Kim et al. 2017): two encoder-decoder translators and two convolutional
critics (networks.py), trained with the GAN + feature-matching + reconstruction objective and the
reference's rate curriculum (objective.py), for unpaired datasets (batch fields "a" and "b", e.g.
bag2shoe). Players: "g" trains g_ab and g_ba (EMA copies translate), "d" trains d_a and d_b.

config.model: g_features ((64, 128, 256): one stride-2 level each, so 2^len must divide H and W;
32x32 -> 4x4), d_features ((64, 128, 256)), norm ("batch", the reference's; or "instance"),
starting_rate (0.01), default_rate (0.5), gan_curriculum (1000 steps at starting_rate; the
reference's 10000 suits its much longer runs), g_steps (2 G updates per D update, the reference's
update_interval 3). The GAN loss is the reference's (non-saturating BCE); optimizers g and d.
"""

from __future__ import annotations

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.cyclegan.family import check_unpaired
from ganjax.families.discogan.networks import ConvDiscriminator, EncoderDecoder
from ganjax.families.discogan.objective import DiscoGANObjective


def _rate(cfg, field: str, default: float) -> float:
  value = float(model_number(cfg, field, default, minimum=0))
  if value > 1:
    raise ConfigError(f"model.{field} weighs reconstruction against the GAN terms and must be in "
                      f"[0, 1], got {value!r}.")
  return value


@FAMILIES.register("discogan")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  g_features = tuple(cfg.get("g_features", (64, 128, 256)))
  d_features = tuple(cfg.get("d_features", (64, 128, 256)))
  check_unpaired("discogan", config, ctx.spec, 2 ** max(len(g_features), len(d_features)))
  if len(d_features) < 2:
    raise ConfigError(f"model.d_features needs at least 2 levels (feature matching reads the "
                      f"normalised ones, all but the first); got {d_features}.")
  norm = cfg.get("norm", "batch")
  common = dict(norm=norm, axis_name=ctx.axis_name, dtype=ctx.dtype, layers=ctx.layers)
  g = lambda: EncoderDecoder(g_features, out_channels=ctx.spec.shape[-1], **common)
  d = lambda: ConvDiscriminator(d_features, **common)
  nets = Networks({"g_ab": g(), "g_ba": g(), "d_a": d(), "d_b": d()})
  objective = DiscoGANObjective(
      nets, _rate(cfg, "starting_rate", 0.01), _rate(cfg, "default_rate", 0.5),
      model_number(cfg, "gan_curriculum", 1000, minimum=0, integer=True),
      model_number(cfg, "g_steps", 2, integer=True))
  example = (ctx.spec.example("a"),)
  return Family(networks=nets.modules, players={"g": ("g_ab", "g_ba"), "d": ("d_a", "d_b")},
                example_inputs={n: example for n in nets.modules}, objective=objective,
                ema=("g_ab", "g_ba"), fields=("a", "b"))
