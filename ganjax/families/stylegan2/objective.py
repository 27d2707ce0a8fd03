"""StyleGAN2's objective (Karras et al. 2020; the official StyleGAN2-ADA code's training/loss.py):
the adversarial objective with the non-saturating loss, plus

- a prior (`StyleMixingPrior`) that draws everything random G reads: z, a second latent z2 and a
  crossover index for style mixing regularization (Sec. 2.1 of StyleGAN, probability 0.9), and
  the per-layer noise images as one flat normal vector, so G stays a pure function of its inputs,
  samples stay random in eval mode, and 1 and 8 devices draw the same numbers;
- lazy path length regularization (Sec. 3.2) as its own phase on the generator player, run every
  `pl_every` steps (Phase(..., every=4), ganjax/core/phases.py) with weight pl_weight * pl_every:
    y ~ N(0, I) / sqrt(H W),  L_b = sqrt(mean_l || d sum(G(ws) * y) / d ws[b, l] ||^2),
    a <- a + pl_decay (mean_b L_b - a),   penalty = mean_b (L_b - a)^2
  on a batch shrunk by pl_batch_shrink; the running mean a is `pl_mean` in G's "stylegan2"
  collection (checkpointed with the state).

Phases: D (adversarial loss, R1 from config.regularizers added lazily), G, G path length.

Where this differs from the reference, and why:
- The crossover index and mixing coin are drawn per sample (the reference draws one per batch):
  the same per-example distribution, and codes stay per-example so device splits do not matter.
- pl_mean's update is not differentiated through (the reference's penalty reads the updated mean
  with its graph, a term scaled by pl_decay = 0.01); under shard_map the batch mean of L is
  averaged over devices, so every device keeps the same pl_mean.
- Lazy R1 is added to the D loss of every 16th step (ganjax/objectives/regularizers.py, weight gamma,
  0.5 E||grad||^2, times `every`, as the reference's gamma/2 * ||grad||^2 * gain) instead of being a
  separate optimizer step (the reference's Dreg phase), and its input gradient is taken at the
  augmented real images D saw, not through the augmentation.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping

import jax
import jax.numpy as jnp

from ganjax.core.keys import global_draw, global_normal, global_randint, global_uniform
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.families.stylegan2.networks import STATS
from ganjax.objectives.adversarial import AdversarialObjective
from ganjax.objectives.priors import fixed_codes


@dataclasses.dataclass(frozen=True)
class StyleMixingPrior:
  """Codes {"z": [n, latent_dim], "z2": [n, latent_dim] (both N(0, I)), "cutoff": [n] int32,
  "noise": [n, noise_dim] N(0, I)}. cutoff is uniform in [1, num_ws) with probability
  `mixing_prob` (ws from z before it, from z2 from there on), else num_ws (no mixing); G reads
  it in train mode only. G is called as G(z, z2, cutoff, noise)."""
  latent_dim: int
  num_ws: int
  noise_dim: int
  mixing_prob: float = 0.9

  fields = ("z", "z2", "cutoff", "noise")
  latent_field = "z"

  @property
  def categorical(self) -> dict[str, int]:
    return {"cutoff": self.num_ws + 1}

  def sample(self, key: jax.Array, n: int, axis_name: str | None = None) -> dict:
    kz, kz2, kc, km, kn = jax.random.split(key, 5)
    crossover = 1 + global_randint(kc, n, self.num_ws - 1, axis_name)
    mixed = global_uniform(km, n, 1, 0.0, 1.0, axis_name)[:, 0] < self.mixing_prob
    return {"z": global_normal(kz, n, self.latent_dim, axis_name),
            "z2": global_normal(kz2, n, self.latent_dim, axis_name),
            "cutoff": jnp.where(mixed, crossover, self.num_ws).astype(jnp.int32),
            "noise": global_normal(kn, n, self.noise_dim, axis_name)}

  def generator_args(self, codes: dict) -> tuple:
    return codes["z"], codes["z2"], codes["cutoff"], codes["noise"]

  def labels(self, codes: dict):
    return None

  def fix(self, codes: dict, values: Mapping | None) -> dict:
    return fixed_codes(self, codes, values)


def path_lengths(synthesize, ws: jax.Array, pl_noise: jax.Array) -> jax.Array:
  """L [B] = sqrt(mean_l sum_d g[b, l, d]^2), g = d sum(synthesize(ws) * pl_noise) / d ws = J^T y
  (one vector-Jacobian product); ws [B, L, D], pl_noise like synthesize(ws)."""
  _, vjp = jax.vjp(synthesize, ws)
  (grads,) = vjp(pl_noise.astype(jnp.float32))
  return jnp.sqrt(jnp.mean(jnp.sum(jnp.square(grads), axis=2), axis=1))


def path_length_penalty(lengths: jax.Array, pl_mean: jax.Array, decay: float,
                        axis_name: str | None = None) -> tuple[jax.Array, jax.Array]:
  """(mean_b (L_b - a')^2, a') with a' = pl_mean + decay (mean_b L_b - pl_mean) (not
  differentiated; the batch mean taken over all devices under shard_map)."""
  mean = jnp.mean(lengths)
  if axis_name is not None:
    mean = jax.lax.pmean(mean, axis_name)
  new_mean = jax.lax.stop_gradient(pl_mean + decay * (mean - pl_mean))
  return jnp.mean(jnp.square(lengths - new_mean)), new_mean


@dataclasses.dataclass(frozen=True)
class StyleGAN2Objective(AdversarialObjective):
  """AdversarialObjective plus the lazy path-length phase (module docstring); pl_weight 0 drops
  the phase."""
  pl_weight: float = 2.0
  pl_every: int = 4
  pl_decay: float = 0.01
  pl_batch_shrink: int = 2

  @property
  def phases(self) -> tuple[Phase, ...]:
    phases = super().phases
    if not self.pl_weight:
      return phases
    return (*phases, Phase("g_pl", self.generator_player, self.path_length_loss,
                           every=self.pl_every))

  # ---------------------------------------------------------------- the style space W

  @property
  def noise_dim(self) -> int:
    return self.prior.noise_dim

  def map(self, state: GANState, z: jax.Array, *, ema: bool = True, truncation=None) -> jax.Array:
    """z [B, z_dim] -> ws [B, num_ws, w_dim], eval mode (w_avg untouched); truncation: psi."""
    kwargs = {} if truncation is None else {"truncation": truncation}
    return self.nets.apply(state, self.generator, z, train=False, ema=ema, method="map",
                           **kwargs)[0]

  def synthesize(self, state: GANState, ws: jax.Array, noise: jax.Array, *,
                 ema: bool = True) -> jax.Array:
    """ws [B, num_ws, w_dim], noise [B, noise_dim] -> images [B, H, W, C] float32, eval mode."""
    return self.nets.apply(state, self.generator, ws, noise, train=False, ema=ema,
                           method="synthesize")[0]

  def path_length_loss(self, g_params, state: GANState, batch, key):
    kz, ky = jax.random.split(key)
    n = batch[self.field].shape[0] // self.pl_batch_shrink
    codes = self.draw(kz, n)
    params = g_params[self.generator]
    ws, cols = self.nets.apply(state, self.generator, codes["z"], codes["z2"], codes["cutoff"],
                               params=params, train=True, method="mixed_ws")
    synthesize = lambda w: self.nets.apply(state, self.generator, w, codes["noise"], params=params,
                                           train=True, method="synthesize")[0]
    shape = jax.eval_shape(synthesize, ws).shape
    pl_noise = global_draw(lambda k, m: jax.random.normal(k, (m, *shape[1:]), jnp.float32), ky, n,
                           self.axis_name) / math.sqrt(shape[1] * shape[2])
    lengths = path_lengths(synthesize, ws, pl_noise)
    penalty, pl_mean = path_length_penalty(lengths, cols[STATS]["pl_mean"], self.pl_decay,
                                           self.axis_name)
    loss = penalty * (self.pl_weight * self.pl_every)
    cols = {**cols, STATS: {**cols[STATS], "pl_mean": pl_mean}}
    metrics = {"pl_penalty": penalty, "pl_mean": pl_mean, "pl_length": jnp.mean(lengths),
               "g_pl_loss": loss}
    return loss, (metrics, {self.generator: cols})
