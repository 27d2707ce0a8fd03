"""The CycleGAN objective (Zhu et al. 2017, Eq. 3 and Sec. 5.2): two translators G_ab: a -> b and
G_ba: b -> a, two critics D_a, D_b (D_b tells real b images from G_ab's), and

  L = L_GAN(G_ab, D_b) + L_GAN(G_ba, D_a) + lambda_cyc L_cyc + lambda_id L_id,
  L_cyc = |G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1,
  L_id  = |G_ab(b) - b|_1 + |G_ba(a) - a|_1,  lambda_id = identity_weight * lambda_cyc

(lambda_cyc = 10, identity_weight = 0.5 as the reference's lambda_identity: the identity term's
weight is 5; 0 drops the term and its two generator passes). Adversarial loss: config.loss, the
reference's least squares (LSGAN) by default.

Phases, in the reference's order (`optimize_parameters`): "g" first (both translators, one
player), then "d": the fakes are recomputed with the just-updated translators, without gradient,
and pass through each critic's replay buffer of past fakes (ganjax/nn/image_pool.py; the pools are
networks of the "d" player without parameters, their updated buffers returned like BatchNorm
statistics); each critic's loss is halved as the reference's, which slows D relative to G.
Note ganjax's least_squares already carries Mao et al.'s 1/2 on both players' terms, so its D loss
is 1/4 (0.5 * 1/2) of the reference's sum of squared errors (Adam does not see a constant scale)
and its adversarial G term is half of the reference's, against the same cycle weight.

Batch fields: "a" and "b" [B, H, W, C] float32 in [-1, 1] (unpaired: the rows are unrelated).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.outputs import logits_of
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.objectives.losses import generator_reads_real
from ganjax.objectives.samplers import UnpairedTranslation
from ganjax.objectives.translation_terms import cycle, identity


@dataclasses.dataclass(frozen=True)
class CycleGANObjective(UnpairedTranslation):
  """nets: {"g_ab", "g_ba": images -> images, "d_a", "d_b": images -> DOutput (logit maps),
  "pool_a", "pool_b": ImagePool}; loss: a ganjax.objectives.losses entry with its options bound."""
  nets: Networks
  loss: Callable
  cycle_weight: float = 10.0
  identity_weight: float = 0.5
  techniques: tuple = ()
  progress_metrics = ("d_loss", "g_loss", "cycle")

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("g", "g", self.g_loss), Phase("d", "d", self.d_loss))

  def _map(self, state: GANState, net: str, x: jax.Array, params=None) -> jax.Array:
    """A translator in train mode (instance norm: no statistics to keep)."""
    return self.nets.apply(state, net, x, params=params, train=True)[0]

  def _logits(self, state: GANState, net: str, x: jax.Array, params=None) -> jax.Array:
    """A critic's logit map [B, h, w]."""
    return logits_of(self.nets.apply(state, net, x, params=params, train=True)[0])

  def _g_adversarial(self, state: GANState, critic: str, real: jax.Array, fake: jax.Array):
    """The loss's generator term on a critic's maps (its current params). The critic reads the
    real batch only for losses whose G term uses it (relativistic ones), saving a pass."""
    fake_logits = self._logits(state, critic, fake)
    real_logits = (self._logits(state, critic, real) if generator_reads_real(self.loss)
                   else jnp.zeros_like(fake_logits))
    return self.loss(real_logits, fake_logits)[1]

  def g_loss(self, g_params, state: GANState, batch, key):
    del key  # nothing random in G's pass
    a, b = batch["a"], batch["b"]
    ab = lambda x: self._map(state, "g_ab", x, g_params["g_ab"])
    ba = lambda x: self._map(state, "g_ba", x, g_params["g_ba"])
    fake_b, fake_a = ab(a), ba(b)
    adv_b = self._g_adversarial(state, "d_b", b, fake_b)
    adv_a = self._g_adversarial(state, "d_a", a, fake_a)
    cyc = cycle(a, ba(fake_b)) + cycle(b, ab(fake_a))
    adv = adv_a + adv_b
    loss = adv + self.cycle_weight * cyc
    metrics = {"g_adv": adv, "cycle": cyc}
    if self.identity_weight:
      idt = identity(b, ab(b)) + identity(a, ba(a))
      loss = loss + self.identity_weight * self.cycle_weight * idt
      metrics["identity"] = idt
    metrics["g_loss"] = loss
    return loss, (metrics, {})

  def d_loss(self, d_params, state: GANState, batch, key):
    a, b = batch["a"], batch["b"]
    k_a, k_b = jax.random.split(key)
    # The same key on every device: the pools query the global batch (ganjax/nn/image_pool.py).
    fake_b = jax.lax.stop_gradient(self._map(state, "g_ab", a))
    fake_a = jax.lax.stop_gradient(self._map(state, "g_ba", b))
    pooled_b, pool_b = self.nets.apply(state, "pool_b", fake_b, k_b, train=True)
    pooled_a, pool_a = self.nets.apply(state, "pool_a", fake_a, k_a, train=True)
    d_b = 0.5 * self.loss(self._logits(state, "d_b", b, d_params["d_b"]),
                          self._logits(state, "d_b", pooled_b, d_params["d_b"]))[0]
    d_a = 0.5 * self.loss(self._logits(state, "d_a", a, d_params["d_a"]),
                          self._logits(state, "d_a", pooled_a, d_params["d_a"]))[0]
    loss = d_a + d_b
    metrics = {"d_loss": loss, "d_a": d_a, "d_b": d_b}
    return loss, (metrics, {"pool_a": pool_a, "pool_b": pool_b})
