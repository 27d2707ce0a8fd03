"""DCGAN family: the seed's convolutional G and D (networks.py) with the adversarial objective.

config.model: latent_dim, g_base_features (128), g_mid_features (64), d_features ((64, 128)),
dropout_rate (0.4), spectral_norm, g_norm ("batch" | "virtual_batch"), vbn_reference_size (32),
minibatch_stddev / minibatch_stddev_group / minibatch_discrimination / minibatch_kernel_dim.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.dcgan.networks import DCGANDiscriminator, DCGANGenerator
from ganjax.families.latent_gan import latent_gan_family
from ganjax.nn.minibatch import minibatch_options


def check_image_shape(name: str, shape) -> None:
  if len(shape) != 3 or shape[0] % 4 or shape[1] % 4:
    raise ConfigError(f"model {name!r} needs images [H, W, C] with H and W divisible by 4, got "
                      f"{tuple(shape)}; pick an image dataset (config.dataset.name).")


def generator_norm(cfg) -> str:
  norm = cfg.get("g_norm", "batch")
  if norm not in ("batch", "virtual_batch"):
    raise ConfigError(f"model.g_norm must be 'batch' or 'virtual_batch', got {norm!r}.")
  if norm == "virtual_batch" and not cfg.get("vbn_reference_size", 32) >= 1:
    raise ConfigError(f"model.vbn_reference_size must be >= 1, got {cfg.vbn_reference_size!r}.")
  return norm


def dcgan_generator(cfg, ctx: BuildContext, **options) -> DCGANGenerator:
  """DCGAN's generator for the dataset's image shape from config.model (g_base_features,
  g_mid_features, g_norm, vbn_reference_size); `options` sets further fields (conditioning)."""
  return DCGANGenerator(tuple(ctx.spec.shape), cfg.get("g_base_features", 128),
                        cfg.get("g_mid_features", 64), ctx.axis_name, dtype=ctx.dtype,
                        norm=generator_norm(cfg), vbn_reference_size=cfg.get("vbn_reference_size", 32),
                        layers=ctx.layers, **options)


@FAMILIES.register("dcgan")
def build(config, ctx: BuildContext):
  cfg = config.model
  check_image_shape("dcgan", ctx.spec.shape)
  g = dcgan_generator(cfg, ctx)
  d = DCGANDiscriminator(tuple(cfg.get("d_features", (64, 128))), cfg.get("dropout_rate", 0.4),
                         cfg.get("spectral_norm", False), dtype=ctx.dtype, layers=ctx.layers,
                         **minibatch_options(cfg))
  return latent_gan_family(config, ctx, g, d)
