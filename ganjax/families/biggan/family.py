"""BigGAN-lite family (Brock et al. 2019 at 32x32, networks.py): class-conditional, hierarchical
latents and a shared class embedding into conditional BatchNorms, self-attention in both players,
spectral norm in both, a projection discriminator, the hinge loss (config), an EMA of G for
sampling and orthogonal regularization of G's kernels (ganjax/objectives/weight_penalties.py)
added to G's loss through AdversarialObjective's g_penalty.

config.model: latent_dim (128, divisible by 4), embed_dim (128), g_features (256), d_features
(256), attention_resolution (16; 0 = none), spectral_norm (True). config.g_ortho_beta (1e-4; 0 =
off). Batches need the "label" field. Images: square, H = W divisible by 8.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.biggan.networks import LATENT_CHUNKS, ORTHOGONAL, BigGANGenerator
from ganjax.families.conditional.family import number_of_classes
from ganjax.families.latent_gan import latent_dim_of
from ganjax.families.sngan.family import check_square_image
from ganjax.families.sngan.networks import ResNetDiscriminator
from ganjax.objectives import build_adversarial
from ganjax.objectives.priors import GaussianPrior
from ganjax.objectives.weight_penalties import orthogonal_regularization


def attention_resolution(cfg, size: int) -> int:
  """config.model.attention_resolution, checked to be 0 or a size both players' blocks output
  (G's blocks: H/4, H/2, H; D's: H/2, H/4)."""
  res = cfg.get("attention_resolution", 16)
  sizes = sorted({size // 4, size // 2})
  if res != 0 and res not in sizes:
    raise ConfigError(f"model.attention_resolution must be 0 (none) or a size where both "
                      f"players have a block output, {sizes} for {size}x{size} images; got {res!r}.")
  return res


def ortho_beta(config) -> float:
  beta = config.get("g_ortho_beta", 1e-4)
  if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
    raise ConfigError(f"g_ortho_beta must be a number >= 0 (BigGAN: 1e-4; 0 = off), got {beta!r}.")
  return float(beta)


@FAMILIES.register("biggan")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  shape = tuple(ctx.spec.shape)
  check_square_image("biggan", shape)
  k = number_of_classes("biggan", ctx.spec)
  latent = latent_dim_of(config)
  if latent % LATENT_CHUNKS:
    raise ConfigError(f"model.latent_dim must be divisible by {LATENT_CHUNKS} (one chunk for the "
                      f"dense layer and one per generator block), got {latent}.")
  res = attention_resolution(cfg, shape[0])
  sn = bool(cfg.get("spectral_norm", True))
  g = BigGANGenerator(shape, k, model_number(cfg, "g_features", 256, integer=True),
                      model_number(cfg, "embed_dim", 128, integer=True), res, sn, ctx.axis_name,
                      dtype=ctx.dtype, layers=ctx.layers)
  d = ResNetDiscriminator(model_number(cfg, "d_features", 256, integer=True), sn, res, k,
                          residual_init=ORTHOGONAL, shortcut_init=ORTHOGONAL,
                          dense_init=ORTHOGONAL, dtype=ctx.dtype, layers=ctx.layers)
  nets = Networks({"g": g, "d": d})
  beta = ortho_beta(config)
  field = ctx.spec.data_field
  objective = build_adversarial(config, nets, prior=GaussianPrior(latent, k), generator="g",
                                critic="d", generator_player="g", critic_player="d", field=field,
                                critic_reads_label=True, axis_name=ctx.axis_name,
                                g_penalty=orthogonal_regularization(beta) if beta else None)
  label = jax.ShapeDtypeStruct((1,), jnp.int32)
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (jax.ShapeDtypeStruct((1, latent), jnp.float32), label),
                                "d": (ctx.spec.example(), label)},
                objective=objective, ema=("g",), fields=(field, "label"))
