"""3D-GAN's objective: the adversarial objective with the paper's adaptive critic, and pictures.

Wu et al. 2016, Sec. 3.2: "for each batch, the discriminator only gets updated if its accuracy
in the last batch is not higher than 80%". Here:

  accuracy_t = mean over the 2B examples D saw in step t's D phase (before its update) of
               [D(x) > 0] for real x and [D(G(z)) < 0] for fake, as metric "d_accuracy";
  the "adaptive_d" technique keeps accuracy_t in state.extras (initially 0, so D trains first);
  step t+1's D phase runs only if extras["adaptive_d"]["accuracy"] <= threshold.

The core's phases have no running condition computed from state (Phase.every is a step count),
so the gate lives in this family's D loss: it computes D's loss as usual (the accuracy needs D's
forward pass anyway), and when the gate is shut returns a loss of exactly 0 (jnp.where, so every
gradient is exactly 0) and D's BatchNorm statistics as they were. The D player's optimizer must
have `skip_zero_grads` (ganjax/optimizers.py), which turns an all-zero gradient into no update and
keeps Adam's moments and count: the parameters and optimizer state stay bit for bit, and the
decision is a value in the checkpointed state, so a resumed run gates exactly as an uninterrupted
one. Metric "d_updated" is 1 on the steps D trained, 0 on the others. threshold >= 1 updates D
on every step (the gate never shuts).

Samples are occupancies [n, 32, 32, 32, 1] in (0, 1); `render` draws them as shaded isosurfaces
(ganjax/inference/voxels.py), which the loop's sample grids and sample.py's PNGs use, and `export`
writes them as .obj meshes (sample.py --out=DIR/; --out=v.npy writes uint8 0 / 1 grids).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.core.state import GANState
from ganjax.core.techniques import StatefulTechnique
from ganjax.inference.voxels import render_voxels, write_objs
from ganjax.objectives import AdversarialObjective

TECHNIQUE = "adaptive_d"


def critic_accuracy(real_logits: jax.Array, fake_logits: jax.Array) -> jax.Array:
  """float32 []: the fraction of real logits > 0 and fake logits < 0 among both ([B] each)."""
  right = jnp.concatenate([real_logits > 0, fake_logits < 0])
  return jnp.mean(right.astype(jnp.float32))


@dataclasses.dataclass(frozen=True)
class AccuracyTerm:
  """An AuxTerm (ganjax/objectives/adversarial.py) adding nothing to either loss: it reports
  D's accuracy on the batch ("d_accuracy"), which the adaptive gate reads next step."""

  def d(self, real_out, fake_out, real_labels, codes):
    del real_labels, codes
    return jnp.float32(0), {"d_accuracy": critic_accuracy(real_out.logits, fake_out.logits)}

  def g(self, fake_out, codes):
    del fake_out, codes
    return jnp.float32(0), {}


def adaptive_technique() -> StatefulTechnique:
  """extras["adaptive_d"] = {"accuracy": float32 []}: D's accuracy on the last step's batch
  (0 before the first step); reported as "d_last_accuracy"."""
  return StatefulTechnique(
      TECHNIQUE, init=lambda params: {"accuracy": jnp.float32(0)},
      update=lambda entry, state, metrics: {"accuracy": metrics["d_accuracy"]},
      report=lambda entry: {"d_last_accuracy": entry["accuracy"]})


@dataclasses.dataclass(frozen=True)
class Gan3DObjective(AdversarialObjective):
  """AdversarialObjective (with AccuracyTerm among `aux` and adaptive_technique() among
  `techniques`, as family.py builds it) whose D phase runs only while D's accuracy on the last
  batch is <= `threshold`."""
  threshold: float = 0.8
  progress_metrics = ("d_loss", "g_loss", "d_accuracy")

  def d_update_on(self, state: GANState) -> jax.Array:
    """bool []: whether this step's D phase updates D (from the accuracy kept in state)."""
    return state.extras[TECHNIQUE]["accuracy"] <= self.threshold

  def d_loss(self, d_params, state: GANState, batch, key):
    loss, (metrics, cols) = super().d_loss(d_params, state, batch, key)
    on = self.d_update_on(state)
    kept = state.players[self.critic_player].collections.get(self.critic, {})
    new = cols.get(self.critic) or {}
    cols = {**cols, self.critic: jax.tree.map(lambda n, o: jnp.where(on, n, o), new,
                                              {c: kept[c] for c in new})}
    metrics = {**metrics, "d_updated": on.astype(jnp.float32)}
    return jnp.where(on, loss, jnp.zeros_like(loss)), (metrics, cols)

  @staticmethod
  def render(samples):
    """occupancy [n, 32, 32, 32, 1] in [0, 1] -> images [n, 64, 64, 1] float32 in [-1, 1]."""
    return render_voxels(np.asarray(jax.device_get(samples)))

  @staticmethod
  def export(samples, directory: str) -> list[str]:
    """occupancy [n, 32, 32, 32, 1] (uint8 0 / 1 or floats in [0, 1]) -> one Wavefront mesh per
    sample, DIRECTORY/sample_00000.obj, ... (`sample.py --out=DIR/`)."""
    return write_objs(directory, np.asarray(samples))
