"""The shape most GAN families share: a latent-vector generator G(z) against a critic D(x), one
player each, an EMA copy of G for sampling, trained by the adversarial objective."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.objectives import build_adversarial
from ganjax.objectives.priors import GaussianPrior


def latent_dim_of(config) -> int:
  latent = config.model.get("latent_dim")
  if isinstance(latent, bool) or not isinstance(latent, int) or latent < 1:
    raise ConfigError(f"config.model.latent_dim must be an integer >= 1, got {latent!r}.")
  return latent


def latent_gan_family(config, ctx, generator, critic) -> Family:
  """Family(networks {"g", "d"}, players {"g": ("g",), "d": ("d",)}, ema ("g",)) with the
  adversarial objective on the dataset's data field."""
  nets = Networks({"g": generator, "d": critic})
  latent = latent_dim_of(config)
  field = ctx.spec.data_field
  objective = build_adversarial(config, nets, prior=GaussianPrior(latent), generator="g", critic="d",
                                generator_player="g", critic_player="d", field=field,
                                axis_name=ctx.axis_name)
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (jax.ShapeDtypeStruct((1, latent), jnp.float32),),
                                "d": (ctx.spec.example(),)},
                objective=objective, ema=("g",), fields=(field,))
