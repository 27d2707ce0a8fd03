"""StyleGAN2 family (Karras et al. 2020): mapping + modulated synthesis G with noise inputs and a
skip architecture, residual D with minibatch stddev (networks.py); non-saturating loss, lazy R1
(config.regularizers), lazy path length, style mixing, w_avg and truncation (objective.py).

config.model: name "stylegan2", latent_dim (z_dim), w_dim (default latent_dim), mapping_layers (2,
the StyleGAN2-ADA cifar config; 8 in the paper), mapping_lr_multiplier (0.01), channel_base
(32768) and channel_max (512): channels at resolution r = min(channel_base // r, channel_max),
w_avg_beta (0.995), mbstd_group (4; 0 = no minibatch stddev).
Training block: style_mixing_prob (0.9), path_length {weight 2, every 4, decay 0.01,
batch_shrink 2} (weight 0: no path-length phase), plus the adversarial objective's loss,
regularizers ({"r1": {"weight": gamma, "every": 16}}) and augment (ADA / DiffAugment).
Images: square, power-of-two side >= 8.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.latent_gan import latent_dim_of
from ganjax.families.stylegan2.networks import (StyleGAN2Discriminator, StyleGAN2Generator,
                                                noise_dim, num_ws)
from ganjax.families.stylegan2.objective import StyleGAN2Objective, StyleMixingPrior
from ganjax.objectives import build_adversarial

PATH_LENGTH_DEFAULTS = {"weight": 2.0, "every": 4, "decay": 0.01, "batch_shrink": 2}


def image_size(shape) -> int:
  """The side of square power-of-two images [R, R, C], R >= 8; ConfigError otherwise."""
  shape = tuple(shape)
  if len(shape) != 3 or shape[0] != shape[1] or shape[0] < 8 or shape[0] & (shape[0] - 1):
    raise ConfigError(f"model 'stylegan2' needs square images whose side is a power of two >= 8, "
                      f"got {shape}; pick such a dataset (config.dataset.name: digits, "
                      f"emoji32, fashion_mnist32).")
  return shape[0]


def path_length_options(config) -> dict:
  """config.path_length with defaults, checked: weight >= 0, every >= 1, decay in [0, 1],
  batch_shrink >= 1."""
  given = dict(config.get("path_length", None) or {})
  unknown = sorted(set(given) - set(PATH_LENGTH_DEFAULTS))
  if unknown:
    raise ConfigError(f"config.path_length has unknown field(s) {unknown}; valid: "
                      f"{sorted(PATH_LENGTH_DEFAULTS)}.")
  opts = {**PATH_LENGTH_DEFAULTS, **given}
  for field in ("every", "batch_shrink"):
    v = opts[field]
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
      raise ConfigError(f"config.path_length.{field} must be an integer >= 1, got {v!r}.")
  for field, high in (("weight", float("inf")), ("decay", 1.0)):
    v = opts[field]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= high:
      raise ConfigError(f"config.path_length.{field} must be a number in [0, {high}], got {v!r}.")
  if opts["weight"] and config.batch_size < opts["batch_shrink"]:
    raise ConfigError(f"config.path_length.batch_shrink={opts['batch_shrink']} leaves no example of "
                      f"batch_size={config.batch_size}; lower it or raise the batch size.")
  return opts


@FAMILIES.register("stylegan2")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  size = image_size(ctx.spec.shape)
  z_dim = latent_dim_of(config)
  mixing = config.get("style_mixing_prob", 0.9)
  if isinstance(mixing, bool) or not isinstance(mixing, (int, float)) or not 0 <= mixing <= 1:
    raise ConfigError(f"config.style_mixing_prob must be a probability in [0, 1], got {mixing!r}.")
  mbstd = model_number(cfg, "mbstd_group", 4, minimum=0, integer=True)
  beta = float(model_number(cfg, "w_avg_beta", 0.995, minimum=0))
  if beta > 1:
    raise ConfigError(f"model.w_avg_beta is the decay of w_avg's moving average, in [0, 1]; got "
                      f"{beta!r}.")
  channels = dict(channel_base=model_number(cfg, "channel_base", 32768, integer=True),
                  channel_max=model_number(cfg, "channel_max", 512, integer=True))
  g = StyleGAN2Generator(
      tuple(ctx.spec.shape), z_dim=z_dim, w_dim=model_number(cfg, "w_dim", z_dim, integer=True),
      mapping_layers=model_number(cfg, "mapping_layers", 2, integer=True),
      mapping_lr_multiplier=float(model_number(cfg, "mapping_lr_multiplier", 0.01, minimum=1e-6)),
      w_avg_beta=beta, axis_name=ctx.axis_name,
      layers=ctx.layers, dtype=ctx.dtype, **channels)
  d = StyleGAN2Discriminator(size, mbstd_group=mbstd, layers=ctx.layers, dtype=ctx.dtype,
                             **channels)
  nets = Networks({"g": g, "d": d})
  prior = StyleMixingPrior(z_dim, num_ws(size), noise_dim(size), float(mixing))
  field = ctx.spec.data_field
  base = build_adversarial(config, nets, prior=prior, generator="g", critic="d",
                           generator_player="g", critic_player="d", field=field,
                           axis_name=ctx.axis_name)
  pl = path_length_options(config)
  objective = StyleGAN2Objective(
      **{f.name: getattr(base, f.name) for f in dataclasses.fields(base)},
      pl_weight=float(pl["weight"]), pl_every=pl["every"], pl_decay=float(pl["decay"]),
      pl_batch_shrink=pl["batch_shrink"])
  latent = jax.ShapeDtypeStruct((1, z_dim), jnp.float32)
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (latent, latent, jax.ShapeDtypeStruct((1,), jnp.int32),
                                      jax.ShapeDtypeStruct((1, noise_dim(size)), jnp.float32)),
                                "d": (ctx.spec.example(),)},
                objective=objective, ema=("g",), fields=(field,))
