"""VAE baseline: a one-player family (encoder and decoder trained together on minus the ELBO).

config.model: latent_dim, likelihood ("bernoulli" | "gaussian"), sigma (gaussian std on the
[-1, 1] scale), beta (KL weight, 1 = the ELBO), g_base_features / g_mid_features (decoder, as
DCGAN's generator), d_features (encoder trunk, as DCGAN's discriminator). One optimizer:
config.optimizers.vae.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.dcgan.family import check_image_shape
from ganjax.families.dcgan.networks import DCGANGenerator
from ganjax.families.latent_gan import latent_dim_of
from ganjax.families.vae.networks import VAEEncoder
from ganjax.families.vae.objective import LIKELIHOODS, ELBOObjective


@FAMILIES.register("vae")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  check_image_shape("vae", ctx.spec.shape)
  likelihood = cfg.get("likelihood", "bernoulli")
  if likelihood not in LIKELIHOODS:
    raise ConfigError(f"model.likelihood must be one of {LIKELIHOODS}, got {likelihood!r}.")
  for field, default in (("sigma", 0.1), ("beta", 1.0)):
    value = cfg.get(field, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
      raise ConfigError(f"model.{field} must be a number > 0, got {value!r}.")
  latent = latent_dim_of(config)
  encoder = VAEEncoder(latent, tuple(cfg.get("d_features", (64, 128))), dtype=ctx.dtype,
                       layers=ctx.layers)
  decoder = DCGANGenerator(tuple(ctx.spec.shape), cfg.get("g_base_features", 128),
                           cfg.get("g_mid_features", 64), ctx.axis_name, dtype=ctx.dtype,
                           output_activation="none", layers=ctx.layers)
  nets = Networks({"encoder": encoder, "decoder": decoder})
  objective = ELBOObjective(nets, latent, "vae", likelihood, float(cfg.get("sigma", 0.1)),
                            float(cfg.get("beta", 1.0)), ctx.spec.data_field, ctx.axis_name)
  return Family(networks=nets.modules, players={"vae": ("encoder", "decoder")},
                example_inputs={"encoder": (ctx.spec.example(),),
                                "decoder": (jax.ShapeDtypeStruct((1, latent), jnp.float32),)},
                objective=objective, ema=("decoder",), fields=(ctx.spec.data_field,))
