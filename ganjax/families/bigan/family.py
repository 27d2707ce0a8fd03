"""BiGAN / ALI family (Donahue et al. 2017; Dumoulin et al. 2017): DCGAN's generator G, a
deterministic convolutional encoder E and a joint discriminator D(x, z) (networks.py), trained by
the BiGAN objective (objective.py). Players: "g" trains G and E together, "d" trains D; EMA copies
of G and E are used for sampling and encoding (experiments/encode.py).

config.model: latent_dim, g_base_features (128), g_mid_features (64), g_norm ("batch"),
d_features ((64, 128), D's x branch), e_features (default d_features, E's trunk), d_z_features
(256, D's z branch), d_hidden (512, D's joint layer), dropout_rate (0.4), spectral_norm (False).
Training: config.loss / loss_kwargs (the adversarial loss), config.d_steps. One optimizer per
player: config.optimizers.g and config.optimizers.d.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.bigan.networks import BiGANEncoder, JointDiscriminator
from ganjax.families.bigan.objective import BiGANObjective
from ganjax.families.dcgan.family import check_image_shape, dcgan_generator
from ganjax.families.latent_gan import latent_dim_of
from ganjax.losses import get_loss


def _check_unsupported(config) -> None:
  """ConfigError for training options of the DCGAN objective that BiGAN's does not implement."""
  used = []
  if config.get("regularizers", None):
    used.append("regularizers")
  augment = config.get("augment", None) or {}
  if augment.get("policy", "") or augment.get("ada", False):
    used.append("augment")
  if config.get("g_objective", "adversarial") != "adversarial":
    used.append("g_objective")
  for field in ("minibatch_stddev", "minibatch_discrimination"):
    if config.model.get(field, False):
      used.append(f"model.{field}")
  if used:
    raise ConfigError(f"model 'bigan' does not support {used}; remove them from the config "
                      f"(BiGAN trains with config.loss, config.loss_kwargs and config.d_steps).")


@FAMILIES.register("bigan")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  check_image_shape("bigan", ctx.spec.shape)
  _check_unsupported(config)
  latent = latent_dim_of(config)
  d_features = tuple(cfg.get("d_features", (64, 128)))
  g = dcgan_generator(cfg, ctx)
  e = BiGANEncoder(latent, tuple(cfg.get("e_features", d_features)), dtype=ctx.dtype,
                   layers=ctx.layers)
  d = JointDiscriminator(d_features, model_number(cfg, "d_z_features", 256, integer=True),
                         model_number(cfg, "d_hidden", 512, integer=True), cfg.get("dropout_rate", 0.4),
                         cfg.get("spectral_norm", False), dtype=ctx.dtype, layers=ctx.layers)
  nets = Networks({"g": g, "e": e, "d": d})
  field = ctx.spec.data_field
  objective = BiGANObjective(nets, get_loss(config.get("loss", "non_saturating"),
                                            **dict(config.get("loss_kwargs", {}))),
                             latent, field, config.get("d_steps", 1), ctx.axis_name)
  z = jax.ShapeDtypeStruct((1, latent), jnp.float32)
  return Family(networks=nets.modules, players={"g": ("g", "e"), "d": ("d",)},
                example_inputs={"g": (z,), "e": (ctx.spec.example(),),
                                "d": (ctx.spec.example(), z)},
                objective=objective, ema=("g", "e"), fields=(field,))
