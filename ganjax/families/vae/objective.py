"""The VAE's one phase: minus the evidence lower bound (Kingma & Welling 2014).

Per example, with q(z|x) = N(mean, diag(exp(log_var))) from the encoder and z = mean +
exp(log_var / 2) * eps (eps ~ N(0, I), the reparameterisation trick):

  ELBO(x) = log p(x|z) - KL(q(z|x) || N(0, I)),
  KL      = 0.5 * sum_j (mean_j^2 + exp(log_var_j) - 1 - log_var_j),

in nats per image, one z draw per example. The decoder's pre-activations a give the pixel means:
  "bernoulli": x01 = (x + 1) / 2 in [0, 1], p = sigmoid(2a) (so 2p - 1 = tanh(a)):
               log p(x|z) = -sum_pixels [x01 * softplus(-2a) + (1 - x01) * softplus(2a)]
               (the usual cross-entropy on grey levels; not a normalised density for x01
               strictly inside (0, 1)).
  "gaussian":  mean tanh(a), fixed std sigma on the [-1, 1] scale:
               log p(x|z) = sum_pixels [-(x - tanh(a))^2 / (2 sigma^2) - log sigma - log(2 pi) / 2].
The loss is mean_batch(-log p(x|z) + beta * KL) (beta = 1: the ELBO). Samples decode z ~ N(0, I)
to tanh(a) in [-1, 1], the same quantity a GAN generator outputs, so they enter the FID table.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from ganjax.core.keys import global_normal
from ganjax.core.networks import Networks
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.objectives.priors import GaussianPrior
from ganjax.objectives.samplers import LatentSampler

LIKELIHOODS = ("bernoulli", "gaussian")


def gaussian_kl(mean: jax.Array, log_var: jax.Array) -> jax.Array:
  """KL(N(mean, exp(log_var)) || N(0, I)) per example: [B, latent] -> [B]."""
  return 0.5 * jnp.sum(mean ** 2 + jnp.exp(log_var) - 1.0 - log_var, axis=-1)


def log_likelihood(x: jax.Array, a: jax.Array, likelihood: str, sigma: float = 0.1) -> jax.Array:
  """log p(x | decoder pre-activations a) per example: x, a [B, ...] -> [B] (x in [-1, 1])."""
  axes = tuple(range(1, x.ndim))
  if likelihood == "bernoulli":
    x01 = (x + 1.0) / 2.0
    return -jnp.sum(x01 * jax.nn.softplus(-2.0 * a) + (1.0 - x01) * jax.nn.softplus(2.0 * a), axes)
  if likelihood == "gaussian":
    return jnp.sum(-(x - jnp.tanh(a)) ** 2 / (2.0 * sigma ** 2) - math.log(sigma)
                   - 0.5 * math.log(2.0 * math.pi), axes)
  raise ValueError(f"unknown likelihood {likelihood!r}; valid: {LIKELIHOODS}.")


@dataclasses.dataclass(frozen=True)
class ELBOObjective(LatentSampler):
  nets: Networks
  latent_dim: int
  player: str = "vae"
  likelihood: str = "bernoulli"
  sigma: float = 0.1
  beta: float = 1.0
  field: str = "image"
  axis_name: str | None = None
  techniques: tuple = ()
  progress_metrics = ("elbo", "kl")

  @property
  def prior(self) -> GaussianPrior:
    """z ~ N(0, I) [n, latent_dim]: the decoder's codes (ganjax/objectives/priors.py)."""
    return GaussianPrior(self.latent_dim)

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("vae", self.player, self.loss),)

  def terms(self, state: GANState, x: jax.Array, key: jax.Array, *, params=None, train: bool):
    """(log p(x|z) [B], KL [B], collections of both networks) for one z draw per example."""
    enc_params = None if params is None else params["encoder"]
    dec_params = None if params is None else params["decoder"]
    (mean, log_var), enc_cols = self.nets.apply(state, "encoder", x, params=enc_params, train=train)
    eps = global_normal(key, x.shape[0], self.latent_dim, self.axis_name)
    z = mean + jnp.exp(0.5 * log_var) * eps
    a, dec_cols = self.nets.apply(state, "decoder", z, params=dec_params, train=train)
    return (log_likelihood(x, a, self.likelihood, self.sigma), gaussian_kl(mean, log_var),
            {"encoder": enc_cols, "decoder": dec_cols})

  def loss(self, params, state: GANState, batch, key):
    log_px, kl, cols = self.terms(state, batch[self.field], key, params=params, train=True)
    loss = jnp.mean(-log_px + self.beta * kl)
    metrics = {"vae_loss": loss, "elbo": jnp.mean(log_px - kl), "kl": jnp.mean(kl),
               "reconstruction": -jnp.mean(log_px)}
    return loss, (metrics, cols)

  def elbo(self, state: GANState, x: jax.Array, key: jax.Array) -> jax.Array:
    """Per-example ELBO [B] in nats of images x [B, H, W, C] in [-1, 1], eval mode."""
    log_px, kl, _ = self.terms(state, x, key, train=False)
    return log_px - kl

  def encode(self, state: GANState, x: jax.Array, *, ema: bool = True) -> jax.Array:
    """Posterior means [B, latent] of images x [B, H, W, C] in [-1, 1]. The encoder keeps no EMA
    copy, so `ema` (accepted for the families' common `encode` call) reads its trained weights."""
    return self.nets.apply(state, "encoder", x, train=False, ema=ema)[0][0]

  def decode(self, state: GANState, z: jax.Array, *, ema: bool = True) -> jax.Array:
    """Images [B, H, W, C] in [-1, 1] (the pixel means tanh(a)) of latents z [B, latent]."""
    return jnp.tanh(self.nets.apply(state, "decoder", z, train=False, ema=ema)[0])

  def generate(self, state: GANState, codes: dict, *, ema: bool = True) -> jax.Array:
    """The decoded codes: images [n, H, W, C] in [-1, 1] of codes {"z": [n, latent]}."""
    return self.decode(state, codes["z"], ema=ema)
