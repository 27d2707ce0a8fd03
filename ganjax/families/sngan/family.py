"""SNGAN family (Miyato et al. 2018): the CIFAR ResNet generator (networks.py) against a
spectrally normalised ResNet critic (ganjax/nn/resnet.py), trained by the adversarial objective
(the configs: hinge loss, 5 critic steps per G step, Adam 2e-4 with betas (0, 0.9), an EMA of G for
sampling). Hyperparameters: defaults() below, updated by config.model. Images: square, H = W
divisible by 8.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import latent_gan_family
from ganjax.families.checks import flag, hyperparameters, image_shape, latent_dim, number
from ganjax.families.sngan.networks import SNGANGenerator
from ganjax.nn.resnet import UP_BLOCKS, ResNetDiscriminator


def defaults() -> dict:
  """Miyato et al. 2018, appendix B, table 4 (the CIFAR-10 ResNet)."""
  return dict(model=dict(
      latent_dim=128,  # table 4: z in R^128, N(0, I)
      g_features=256,  # table 4: G's ResBlocks have 256 channels
      d_features=128,  # table 4: D's ResBlocks have 128 channels
      spectral_norm=True,  # the paper's method, on every layer of D
  ))


@FAMILIES.register("sngan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  # Three 2x upsamplings from an H/8 bottom; two 2x downsamplings in D.
  image_shape("sngan", ctx.spec.shape, divisor=2 ** UP_BLOCKS, square=True)
  g = SNGANGenerator(tuple(ctx.spec.shape), number(hp, "model.g_features", integer=True),
                     ctx.axis_name, dtype=ctx.dtype, layers=ctx.layers)
  d = ResNetDiscriminator(number(hp, "model.d_features", integer=True),
                          flag(hp, "model.spectral_norm"), dtype=ctx.dtype, layers=ctx.layers)
  return latent_gan_family(config, ctx, g, d, latent=latent_dim(hp))
