"""VAE baseline: a one-player family (encoder and decoder trained together on minus the ELBO;
networks.py, objective.py), the decoder DCGAN's generator without its tanh and the encoder DCGAN's
critic trunk (ganjax/nn/dcgan.py). Hyperparameters: defaults() below, updated by config.model. One
optimizer: config.optimizers.vae.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import game
from ganjax.families.checks import hyperparameters, image_shape, latent_dim, number, one_of, widths
from ganjax.families.vae.networks import VAEEncoder
from ganjax.families.vae.objective import LIKELIHOODS, ELBOObjective
from ganjax.nn.dcgan import DCGANGenerator


def defaults() -> dict:
  """Kingma & Welling 2014 (appendix C: the MNIST likelihood) on DCGAN's networks."""
  return dict(model=dict(
      latent_dim=20,  # Kingma & Welling 2014, Fig. 2: latent sizes 3 to 200 on MNIST; 20 among them
      likelihood="bernoulli",  # appendix C.1: Bernoulli decoder for binary-ish MNIST pixels
      sigma=0.1,  # ganjax's: the "gaussian" likelihood's std on the [-1, 1] scale
      beta=1.0,  # 1: the ELBO (Higgins et al. 2017's beta-VAE weighs the KL by beta)
      g_base_features=128,  # the decoder: DCGAN's generator (Geron, ch. 17)
      g_mid_features=64,
      d_features=(64, 128),  # the encoder: DCGAN's critic trunk, no dropout
  ))


@FAMILIES.register("vae")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  image_shape("vae", ctx.spec.shape, divisor=4)
  likelihood = one_of(hp, "model.likelihood", LIKELIHOODS)
  sigma = float(number(hp, "model.sigma", above=0))
  beta = float(number(hp, "model.beta", above=0))
  latent = latent_dim(hp)
  encoder = VAEEncoder(latent, widths(hp, "model.d_features"), dtype=ctx.dtype, layers=ctx.layers)
  decoder = DCGANGenerator(tuple(ctx.spec.shape), number(hp, "model.g_base_features", integer=True),
                           number(hp, "model.g_mid_features", integer=True), ctx.axis_name,
                           dtype=ctx.dtype, output_activation="none", layers=ctx.layers)
  field = ctx.spec.data_field
  return game({"encoder": encoder, "decoder": decoder}, {"vae": ("encoder", "decoder")},
              {"encoder": (ctx.spec.example(),),
               "decoder": (jax.ShapeDtypeStruct((1, latent), jnp.float32),)},
              lambda nets: ELBOObjective(nets, latent, "vae", likelihood, sigma, beta, field,
                                         ctx.axis_name),
              ema=("decoder",), fields=(field,))
