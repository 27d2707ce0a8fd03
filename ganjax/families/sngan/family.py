"""SNGAN family (Miyato et al. 2018): the CIFAR ResNet generator against a spectrally normalised
ResNet critic (networks.py), trained by the adversarial objective (the configs: hinge loss, 5
critic steps per G step, Adam 2e-4 with betas (0, 0.9), an EMA of G for sampling).

config.model: latent_dim (128), g_features (256), d_features (128), spectral_norm (True).
Images: square, H = W divisible by 8.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.latent_gan import latent_gan_family
from ganjax.families.sngan.networks import UP_BLOCKS, ResNetDiscriminator, SNGANGenerator


def check_square_image(name: str, shape) -> None:
  """A ConfigError unless `shape` is [H, H, C] with H divisible by 8 (three 2x upsamplings from
  an H/8 bottom, two 2x downsamplings in D)."""
  step = 2 ** UP_BLOCKS
  if len(shape) != 3 or shape[0] != shape[1] or shape[0] % step:
    raise ConfigError(f"model {name!r} needs square images [H, H, C] with H divisible by {step}, "
                      f"got {tuple(shape)}; pick such a dataset (config.dataset.name: emoji32, "
                      f"fashion_mnist32, digits).")


@FAMILIES.register("sngan")
def build(config, ctx: BuildContext):
  cfg = config.model
  check_square_image("sngan", ctx.spec.shape)
  g = SNGANGenerator(tuple(ctx.spec.shape), model_number(cfg, "g_features", 256, integer=True),
                     ctx.axis_name, dtype=ctx.dtype, layers=ctx.layers)
  d = ResNetDiscriminator(model_number(cfg, "d_features", 128, integer=True),
                          bool(cfg.get("spectral_norm", True)), dtype=ctx.dtype, layers=ctx.layers)
  return latent_gan_family(config, ctx, g, d)
