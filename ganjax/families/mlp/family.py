"""MLP GAN family: fully connected G and D (networks.py) with the adversarial objective; the
seed's FCGAN on images and the G and D of the 2-D toy mixtures (batch field "points").
Hyperparameters: defaults() below, updated by config.model.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import latent_gan_family
from ganjax.families.checks import flag, hyperparameters, latent_dim, one_of, widths
from ganjax.families.mlp.networks import ACTIVATIONS, MLPDiscriminator, MLPGenerator
from ganjax.families.shared import MINIBATCH
from ganjax.nn.minibatch import minibatch_options


def defaults() -> dict:
  """The seed's fully connected GAN (Geron, Hands-On ML, 2nd ed., ch. 17, "A simple GAN")."""
  return dict(model=dict(
      latent_dim=30,  # seed: codings_size = 30
      g_hidden=(100, 150),  # seed: G's Dense(100), Dense(150)
      d_hidden=(150, 100),  # seed: D's Dense(150), Dense(100)
      activation="selu",  # seed: selu in both
      # seed: sigmoid for [0, 1] pixels; ganjax's images are in [-1, 1]; "none" for toy points.
      output_activation="tanh",
      spectral_norm=False,  # Miyato et al. 2018; off in the seed
      **MINIBATCH))


@FAMILIES.register("mlp")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  activation = one_of(hp, "model.activation", sorted(ACTIVATIONS))
  output = one_of(hp, "model.output_activation", sorted(ACTIVATIONS))
  g = MLPGenerator(tuple(ctx.spec.shape), widths(hp, "model.g_hidden", levels=0), activation,
                   output, dtype=ctx.dtype, layers=ctx.layers)
  d = MLPDiscriminator(widths(hp, "model.d_hidden", levels=0), activation,
                       flag(hp, "model.spectral_norm"), dtype=ctx.dtype, layers=ctx.layers,
                       **minibatch_options(hp.model))
  return latent_gan_family(config, ctx, g, d, latent=latent_dim(hp))
