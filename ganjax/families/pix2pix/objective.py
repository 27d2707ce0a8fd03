"""The pix2pix objective (Isola et al. 2017, Eq. 4): a conditional GAN on (input, output) pairs
plus L1 to the target,

  G* = arg min_G max_D  L_cGAN(G, D) + lambda L_L1(G),   lambda = l1_weight (100 in the paper),

with a PatchGAN D that reads the input and an image concatenated on channels. Phases, as the
reference's `optimize_parameters`: D first, its loss halved ("slows down the rate at which D
learns relative to G"), then G. With adversarial=False D has no phase and G minimises L1 alone:
the paper's "L1" ablation (Table 1), which ganjax reproduces for comparison.

Batch fields: "source" (the input, e.g. an edge map) and "target" [B, H, W, C] in [-1, 1].
G's dropout is its noise (Sec. 3.2); its key is folded per device under shard_map.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from ganjax.core.keys import device_key
from ganjax.core.networks import Networks
from ganjax.core.outputs import as_output
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.objectives.samplers import TranslationSampler
from ganjax.objectives.translation_terms import l1


@dataclasses.dataclass(frozen=True)
class Pix2PixObjective(TranslationSampler):
  """nets: {"g": source -> image, "d": concat(source, image) -> DOutput map};
  loss: a ganjax.objectives.losses entry with its options bound."""
  nets: Networks
  loss: Callable
  l1_weight: float = 100.0
  adversarial: bool = True
  axis_name: str | None = None
  techniques: tuple = ()
  directions = {"a2b": ("source", "target")}  # direction -> (input field, output field)
  translators = {"a2b": "g"}  # direction -> network (TranslationSampler.translate)

  @property
  def progress_metrics(self) -> tuple[str, ...]:
    return ("d_loss", "g_loss", "l1") if self.adversarial else ("l1",)

  @property
  def phases(self) -> tuple[Phase, ...]:
    g = Phase("g", "g", self.g_loss)
    return (Phase("d", "d", self.d_loss), g) if self.adversarial else (g,)

  def _generate(self, state: GANState, source: jax.Array, key: jax.Array, params=None):
    """G(source) in train mode (dropout on): (images [B, H, W, C], G's collections)."""
    return self.nets.apply(state, "g", source, params=params, train=True,
                           key=device_key(key, self.axis_name))

  def _logits(self, state: GANState, source, target, fake, params=None):
    """D's logit maps on (source, target) and (source, fake), one call on both halves."""
    pairs = jnp.concatenate([jnp.concatenate([source, target], -1),
                             jnp.concatenate([source, fake], -1)])
    out, cols = self.nets.apply(state, "d", pairs, params=params, train=True)
    logits = as_output(out).logits
    n = source.shape[0]
    return logits[:n], logits[n:], cols

  def d_loss(self, d_params, state: GANState, batch, key):
    source, target = batch["source"], batch["target"]
    fake, _ = self._generate(state, source, key)
    real, fake_logits, cols = self._logits(state, source, target, jax.lax.stop_gradient(fake),
                                           d_params["d"])
    d_loss = 0.5 * self.loss(real, fake_logits)[0]
    metrics = {"d_loss": d_loss, "d_real": jnp.mean(jax.nn.sigmoid(real)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))}
    return d_loss, (metrics, {"d": cols})

  def g_loss(self, g_params, state: GANState, batch, key):
    source, target = batch["source"], batch["target"]
    fake, cols = self._generate(state, source, key, g_params["g"])
    reconstruction = l1(fake, target)
    loss, metrics = self.l1_weight * reconstruction, {"l1": reconstruction}
    if self.adversarial:
      real, fake_logits, _ = self._logits(state, source, target, fake)  # D's updates dropped
      adv = self.loss(real, fake_logits)[1]
      loss, metrics["g_adv"] = loss + adv, adv
    metrics["g_loss"] = loss
    return loss, (metrics, {"g": cols})
