"""MLP GAN family: fully connected G and D (networks.py) with the adversarial objective; the
seed's FCGAN on images and the G and D of the 2-D toy mixtures (batch field "points").

config.model: latent_dim, g_hidden, d_hidden, activation, output_activation ("tanh" | "none"),
spectral_norm, minibatch_* options.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.latent_gan import latent_gan_family
from ganjax.families.mlp.networks import ACTIVATIONS, MLPDiscriminator, MLPGenerator
from ganjax.nn.minibatch import minibatch_options


@FAMILIES.register("mlp")
def build(config, ctx: BuildContext):
  cfg = config.model
  for field in ("activation", "output_activation"):
    if cfg.get(field, "selu") not in ACTIVATIONS:
      raise ConfigError(f"model.{field} must be one of {sorted(ACTIVATIONS)}, got {cfg.get(field)!r}.")
  g = MLPGenerator(tuple(ctx.spec.shape), tuple(cfg.get("g_hidden", (100, 150))),
                   cfg.get("activation", "selu"), cfg.get("output_activation", "tanh"),
                   dtype=ctx.dtype, layers=ctx.layers)
  d = MLPDiscriminator(tuple(cfg.get("d_hidden", (150, 100))), cfg.get("activation", "selu"),
                       cfg.get("spectral_norm", False), dtype=ctx.dtype, layers=ctx.layers,
                       **minibatch_options(cfg))
  return latent_gan_family(config, ctx, g, d)
