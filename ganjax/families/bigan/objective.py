"""The BiGAN / ALI objective (Donahue et al. 2017, Eq. 3; Dumoulin et al. 2017, Alg. 1).

A joint discriminator D(x, z) tells real pairs (x, E(x)), x from the data, from fake pairs
(G(z), z), z ~ N(0, I); the generator G and the encoder E, one player ("g"), are trained together
to fool it. With an adversarial loss `loss(real_logits, fake_logits) -> (d_loss, g_loss)`
(ganjax/objectives/losses.py) and r = D(x, E(x)), f = D(G(z), z):

  Phase("d", "d", d_loss, repeat=d_steps):  loss(r, f)[0], E(x) and G(z) from the "g" player's
                                            current params, without gradient;
  Phase("g", "g", ge_loss):                 loss(f, r)[0], D's loss with real and fake exchanged
                                            (non-saturating: E[sp(-f)] + E[sp(r)]), gradients to
                                            G through f and to E through r.

At the optimum E inverts G (Donahue et al., Thm. 2), so G(E(x)) reconstructs x. Keys: each loss
splits its phase key into (latent, dropout); z is drawn globally (ganjax/core/keys.py) so a
shard_map run draws the same codes as a one-device run; dropout keys are folded per device.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from ganjax.core.keys import device_key, sample_latent
from ganjax.core.networks import Networks
from ganjax.core.outputs import as_output
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.objectives.priors import GaussianPrior
from ganjax.objectives.samplers import LatentSampler


@dataclasses.dataclass(frozen=True)
class BiGANObjective(LatentSampler):
  """nets: {"g": z -> images, "e": images -> z, "d": (images, z) -> DOutput}; loss: a
  ganjax.objectives.losses entry with its options bound; field: the batch field of the real images."""
  nets: Networks
  loss: Callable
  latent_dim: int
  field: str = "image"
  d_steps: int = 1
  axis_name: str | None = None
  techniques: tuple = ()
  progress_metrics = ("d_loss", "g_loss")

  @property
  def prior(self) -> GaussianPrior:
    """z ~ N(0, I) [n, latent_dim]: the codes G is fed (ganjax/objectives/priors.py)."""
    return GaussianPrior(self.latent_dim)

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("d", "d", self.d_loss, repeat=self.d_steps), Phase("g", "g", self.ge_loss))

  # ---------------------------------------------------------------- pieces

  def _pairs(self, state: GANState, x: jax.Array, key: jax.Array, g_params=None):
    """(E(x) [B, latent], z [B, latent], G(z) [B, H, W, C], {"g": .., "e": .. collections}),
    train mode, with `g_params` ({"g", "e"}: the ones differentiated) or the state's."""
    get = lambda net: None if g_params is None else g_params[net]
    z = sample_latent(key, x.shape[0], self.latent_dim, self.axis_name)
    ez, e_cols = self.nets.apply(state, "e", x, params=get("e"), train=True)
    gz, g_cols = self.nets.apply(state, "g", z, params=get("g"), train=True)
    return ez, z, gz, {"g": g_cols, "e": e_cols}

  def _logits(self, state: GANState, real: tuple, fake: tuple, key: jax.Array, d_params=None):
    """(D's logits [B] on the real pairs, on the fake pairs, D's collections), train mode; both
    kinds of pair go through D in one call (D has no cross-example layers)."""
    n = real[0].shape[0]
    x = jnp.concatenate([real[0], fake[0]])
    z = jnp.concatenate([real[1], fake[1]])
    params = None if d_params is None else d_params["d"]
    out, cols = self.nets.apply(state, "d", x, z, params=params, train=True,
                                key=device_key(key, self.axis_name))
    logits = as_output(out).logits
    return logits[:n], logits[n:], cols

  # ---------------------------------------------------------------- phase losses

  def d_loss(self, d_params, state: GANState, batch, key):
    kz, kdrop = jax.random.split(key)
    x = batch[self.field]
    ez, z, gz, _ = self._pairs(state, x, kz)  # G's BatchNorm updates are kept in ge_loss
    ez, gz = jax.lax.stop_gradient(ez), jax.lax.stop_gradient(gz)
    real, fake, d_cols = self._logits(state, (x, ez), (gz, z), kdrop, d_params)
    d_loss, _ = self.loss(real, fake)
    metrics = {"d_loss": d_loss, "d_real": jnp.mean(jax.nn.sigmoid(real)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake))}
    return d_loss, (metrics, {"d": d_cols})

  def ge_loss(self, g_params, state: GANState, batch, key):
    kz, kdrop = jax.random.split(key)
    x = batch[self.field]
    ez, z, gz, cols = self._pairs(state, x, kz, g_params)
    real, fake, _ = self._logits(state, (x, ez), (gz, z), kdrop)  # D's updates dropped
    g_loss, _ = self.loss(fake, real)
    return g_loss, ({"g_loss": g_loss}, cols)

  # ---------------------------------------------------------------- sampling and inference

  def generate(self, state: GANState, codes: dict, *, ema: bool = True) -> jax.Array:
    """G(codes["z"]) [n, H, W, C] float32 in [-1, 1], eval mode (EMA weights with `ema`)."""
    return self.nets.apply(state, "g", *self.prior.generator_args(codes), train=False, ema=ema)[0]

  def encode(self, state: GANState, x: jax.Array, *, ema: bool = True) -> jax.Array:
    """E(x): latents [B, latent] float32 of images x [B, H, W, C] in [-1, 1], eval mode."""
    return self.nets.apply(state, "e", x, train=False, ema=ema)[0]

  def decode(self, state: GANState, z: jax.Array, *, ema: bool = True) -> jax.Array:
    """G(z): images [B, H, W, C] in [-1, 1] of latents z [B, latent], eval mode."""
    return self.generate(state, {"z": z}, ema=ema)

  def joint_logits(self, state: GANState, x: jax.Array, z: jax.Array) -> jax.Array:
    """D's logits [B] float32 on pairs (x [B, H, W, C] in [-1, 1], z [B, latent]), eval mode."""
    return as_output(self.nets.apply(state, "d", x, z, train=False)[0]).logits
