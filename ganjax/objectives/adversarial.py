"""The two-player adversarial objective: a critic network against a latent-vector generator.

Families with a generator G(z) and a critic D(x) (MLP GAN, DCGAN, and the conditional families
built on them) use it with their own network and player names. Phases:

  Phase("d", critic player, d_loss, repeat=d_steps)   then   Phase("g", generator player, g_loss)

Keys: each loss splits its phase key into (latent, dropout, augmentation, penalty) keys. Under
shard_map (`axis_name` set) dropout and penalty keys are folded with the device index
(ganjax/core/keys.py): masks are independent per device, not bit-equal to jit mode's.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from ganjax.core.keys import device_key, sample_latent
from ganjax.core.networks import Networks
from ganjax.core.outputs import logits_of
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.nn.minibatch import mixes_examples
from ganjax.objectives.generator_losses import adversarial


class PenaltyInputs(NamedTuple):
  """What a discriminator penalty (ganjax/regularizers.py) may read, built inside `d_loss`.

  critic: samples [B, ...] -> logits, with the critic parameters being differentiated closed over
  (train mode, collection updates discarded), so input gradients are one `jax.grad` away.
  real, fake: the samples D saw this step (after augmentation; fake has no gradient to G).
  real_logits, fake_logits: float32, D's outputs on them. d_params: the critic player's
  {network: params}. state: the GANState before this update. key: private PRNG key.
  """
  critic: Callable[[jax.Array], jax.Array]
  real: jax.Array
  fake: jax.Array
  real_logits: jax.Array
  fake_logits: jax.Array
  d_params: Any
  state: GANState
  key: jax.Array


# augment(samples [B, ...], key, state) -> samples of the same shape; applied to real and fake alike.
Augment = Callable[[jax.Array, jax.Array, GANState], jax.Array]
# d_penalty(PenaltyInputs) -> (scalar added to the D loss, dict of float32 scalar metrics).
Penalty = Callable[[PenaltyInputs], tuple[jax.Array, dict]]


@dataclasses.dataclass(frozen=True)
class AdversarialObjective:
  """nets: the family's Networks; generator: z [B, latent_dim] -> samples [B, ...]; critic:
  samples -> DOutput (or logits); loss: a ganjax.losses entry on the logits.

  field: the batch field holding real samples ("image", "points"). augment: optional
  differentiable augmentation of everything D sees, in the D and the G loss (DiffAugment, ADA).
  d_penalty: optional sum of regularizers added to the D loss. techniques: the StatefulTechnique
  those pieces keep in `state.extras`. g_objective: what G minimises, a
  ganjax.objectives.generator_losses strategy.
  """
  nets: Networks
  loss: Callable
  latent_dim: int
  generator: str
  critic: str
  generator_player: str
  critic_player: str
  field: str = "image"
  d_steps: int = 1
  axis_name: str | None = None
  augment: Augment | None = None
  d_penalty: Penalty | None = None
  techniques: tuple = ()
  g_objective: Callable = adversarial
  progress_metrics = ("d_loss", "g_loss")  # shown on the training progress bar

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("d", self.critic_player, self.d_loss, repeat=self.d_steps),
            Phase("g", self.generator_player, self.g_loss))

  # ---------------------------------------------------------------- pieces strategies call

  def fake(self, g_params, state: GANState, batch_size: int, key: jax.Array):
    """(G(z) [B, ...] in train mode, G's updated collections)."""
    z = sample_latent(key, batch_size, self.latent_dim, self.axis_name)
    params = None if g_params is None else g_params[self.generator]
    return self.nets.apply(state, self.generator, z, params=params, train=True)

  def critic_output(self, d_params, state: GANState, x, key, *, per_device_key: bool = True):
    """(D's output on `x` in train mode, D's updated collections)."""
    key = device_key(key, self.axis_name) if per_device_key else key
    params = None if d_params is None else d_params[self.critic]
    return self.nets.apply(state, self.critic, x, params=params, train=True, key=key)

  def fake_logits(self, d_params, state: GANState, fake, key) -> jax.Array:
    """D's logits on the fake batch alone (collection updates dropped)."""
    return logits_of(self.critic_output(d_params, state, fake, key)[0])

  def logits(self, d_params, state: GANState, real, fake, key):
    """(real logits, fake logits, D's updated collections)."""
    if mixes_examples(self.nets[self.critic]):
      # Minibatch layers (ganjax/nn/minibatch.py) must see real and fake as separate batches.
      kr, kf = jax.random.split(device_key(key, self.axis_name))
      out_r, cols = self.critic_output(d_params, state, real, kr, per_device_key=False)
      state = _with_collections(state, self.critic_player, self.critic, cols)
      out_f, cols = self.critic_output(d_params, state, fake, kf, per_device_key=False)
      return logits_of(out_r), logits_of(out_f), cols
    # Real and fake through D in one call: one larger matmul beats two dispatches.
    out, cols = self.critic_output(d_params, state, jnp.concatenate([real, fake]), key)
    logits = logits_of(out)
    return logits[: real.shape[0]], logits[real.shape[0]:], cols

  def augmented(self, state: GANState, real, fake, key):
    """(real, fake) as D sees them: augmented with independent randomness when configured."""
    if self.augment is None:
      return real, fake
    kr, kf = jax.random.split(key)
    return self.augment(real, kr, state), self.augment(fake, kf, state)

  # ---------------------------------------------------------------- phase losses

  def d_loss(self, d_params, state: GANState, batch, key):
    kz, kdrop, kaug, kpen = jax.random.split(key, 4)
    real = batch[self.field]
    fake, _ = self.fake(None, state, real.shape[0], kz)  # G's BN updates are kept in g_loss
    real, fake = self.augmented(state, real, jax.lax.stop_gradient(fake), kaug)
    real_logits, fake_logits, d_cols = self.logits(d_params, state, real, fake, kdrop)
    d_loss, _ = self.loss(real_logits, fake_logits)
    metrics = {"d_loss": d_loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
               # sign of D(real): ADA's overfitting heuristic r_t reads this.
               "d_real_sign": jnp.mean(jnp.sign(real_logits))}
    if self.d_penalty is not None:
      kdrop, kpen = device_key(kdrop, self.axis_name), device_key(kpen, self.axis_name)
      critic = lambda x: logits_of(self.critic_output(d_params, state, x, kdrop,
                                                      per_device_key=False)[0])
      penalty, penalty_metrics = self.d_penalty(PenaltyInputs(
          critic, real, fake, real_logits, fake_logits, d_params, state, kpen))
      metrics = {**metrics, **penalty_metrics, "d_adv_loss": d_loss}
      d_loss = d_loss + penalty
      metrics["d_loss"] = d_loss
    return d_loss, (metrics, {self.critic: d_cols})

  def g_loss(self, g_params, state: GANState, batch, key):
    kz, kdrop, kaug, _ = jax.random.split(key, 4)
    real = batch[self.field]
    fake, g_cols = self.fake(g_params, state, real.shape[0], kz)
    real, fake = self.augmented(state, real, fake, kaug)
    g_loss, metrics = self.g_objective(self, state, real, fake, kdrop)
    return g_loss, ({"g_loss": g_loss, **metrics}, {self.generator: g_cols})

  # ---------------------------------------------------------------- sampling

  def sample(self, state: GANState, key: jax.Array, num: int, *, ema: bool = True) -> jax.Array:
    """num samples [num, ...] float32 from z ~ N(0, I), eval mode (EMA weights with `ema`)."""
    z = sample_latent(key, num, self.latent_dim)
    return self.nets.apply(state, self.generator, z, train=False, ema=ema)[0]


def _with_collections(state: GANState, player: str, network: str, cols: dict) -> GANState:
  p = state.players[player]
  return state.replace(players={**state.players, player: p.replace(
      collections={**p.collections, network: cols})})
