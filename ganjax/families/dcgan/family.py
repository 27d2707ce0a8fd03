"""DCGAN family: the seed's convolutional G and D (networks.py, ganjax/nn/dcgan.py) with the
adversarial objective. Hyperparameters: defaults() below, updated by config.model.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import latent_gan_family
from ganjax.families.checks import hyperparameters, image_shape, latent_dim
from ganjax.families.dcgan.networks import DCGANDiscriminator
from ganjax.families.shared import DCGAN_CRITIC, DCGAN_GENERATOR, MINIBATCH, critic_trunk, dcgan_generator
from ganjax.nn.minibatch import minibatch_options


def defaults() -> dict:
  """The seed's DCGAN (Geron, Hands-On ML, 2nd ed., ch. 17; Radford et al. 2016's layout) and the
  options ganjax adds to it, all off (ganjax/families/shared.py)."""
  return dict(model=dict(
      latent_dim=100,  # seed: codings_size = 100 (Radford et al. 2016: a 100-d z)
      **DCGAN_GENERATOR, **DCGAN_CRITIC, **MINIBATCH))


@FAMILIES.register("dcgan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  image_shape("dcgan", ctx.spec.shape, divisor=4)
  g = dcgan_generator(hp, ctx)
  d = DCGANDiscriminator(**critic_trunk(hp), dtype=ctx.dtype, layers=ctx.layers,
                         **minibatch_options(hp.model))
  return latent_gan_family(config, ctx, g, d, latent=latent_dim(hp))
