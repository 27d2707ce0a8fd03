"""Dropout whose mask costs half of flax's random bits, drawn ~9x faster: the same layer and rate.

flax's `nn.Dropout` draws a 32-bit threefry word per element (`jax.random.bernoulli`, one cipher
call per word). On XLA:CPU those draws took ~14% of the seed DCGAN's train step at batch 256
(benchmarks/profile_step.py, BENCHMARKS.md). Here the words come from
`ganjax.backends.cpu.threefry` (the same bits as `jax.random.bits`, lowered as one vectorized XLA
loop) and each 32-bit word decides two
elements: its 16-bit halves are compared with round(keep * 2^16), so an element is kept with
probability keep to within 2^-17 (keep 0.6 -> 39322 / 65536 = 0.600006) and kept elements are
scaled by 1 / keep, as in flax. The same key gives the same mask (consistency regularization
relies on it).
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.backends.cpu.threefry import random_bits


def keep_mask(key: jax.Array, keep: float, shape: tuple[int, ...]) -> jax.Array:
  """bool [*shape], each element True with probability round(keep * 2^16) / 2^16, independently.

  The words are drawn as [shape[0], ceil(rest / 2)] (rest: the product of the other axes), so a
  mask of a batch-sharded activation is drawn shard by shard."""
  lead = shape[0] if len(shape) > 1 else 1
  rest = math.prod(shape) // lead if lead else 0
  words = random_bits(key, (lead, -(-rest // 2)))
  halves = jax.lax.bitcast_convert_type(words, jnp.uint16).reshape(lead, -1)[:, :rest]
  threshold = jnp.uint32(round(keep * 65536))
  return (halves.astype(jnp.uint32) < threshold).reshape(shape)


class Dropout(nn.Module):
  """Drop-in for `nn.Dropout(rate, deterministic)`: zeroes each element with probability `rate`
  (drawn from the "dropout" rng collection) and scales the rest by 1 / (1 - rate)."""
  rate: float
  deterministic: bool | None = None
  rng_collection: str = "dropout"

  @nn.compact
  def __call__(self, x: jax.Array, deterministic: bool | None = None) -> jax.Array:
    """x: any shape -> same shape and dtype."""
    deterministic = nn.merge_param("deterministic", self.deterministic, deterministic)
    if deterministic or self.rate == 0.0:
      return x
    if self.rate == 1.0:
      return jnp.zeros_like(x)
    keep = 1.0 - self.rate
    mask = keep_mask(self.make_rng(self.rng_collection), keep, x.shape)
    return jax.lax.select(mask, x / keep, jnp.zeros_like(x))
