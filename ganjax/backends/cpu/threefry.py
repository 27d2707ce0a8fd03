"""Threefry-2x32 random bits written in jax.numpy, for bulk draws such as dropout masks.

`random_bits(key, shape)` returns exactly `jax.random.bits(key, shape, jnp.uint32)` (JAX's default
partitionable threefry: word k = x0 ^ x1 of Threefry-2x32-20 on counter (0, k); tests check
this bit for bit). What differs is the lowering: JAX's runs the cipher's rounds as an XLA while
loop, which on XLA:CPU took ~10 ns per word; here the rounds are unrolled elementwise ops that
XLA fuses into one vectorized loop: 3.2M words in ~4 ms instead of ~35 ms on the 2-core CPU
(BENCHMARKS.md, "Optimizations"). Counters come from a multi-dimensional iota, so a draw
shaped like a batch-sharded activation stays sharded (no all-gather under GSPMD).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotl(x: jax.Array, r: int) -> jax.Array:
  return (x << jnp.uint32(r)) | (x >> jnp.uint32(32 - r))


def threefry2x32(k0: jax.Array, k1: jax.Array, x0: jax.Array,
                 x1: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Threefry-2x32 (20 rounds) of counters (x0, x1) under key (k0, k1); all uint32, x0 and x1 of
  one shape, k0 and k1 scalars. Returns the two uint32 output words, each shaped like x0."""
  ks = (k0, k1, k0 ^ k1 ^ jnp.uint32(_PARITY))
  x0, x1 = x0 + k0, x1 + k1
  for i in range(5):
    for r in _ROTATIONS[i % 2]:
      x0 = x0 + x1
      x1 = _rotl(x1, r) ^ x0
    x0 = x0 + ks[(i + 1) % 3]
    x1 = x1 + ks[(i + 2) % 3] + jnp.uint32(i + 1)
  return x0, x1


def key_words(key: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Two uint32 scalars from a PRNG key: a threefry key's own data, otherwise two words drawn
  with `jax.random.bits` (keys of other implementations, e.g. "rbg")."""
  if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
    data = jax.random.key_data(key)
  else:
    data = key
  if data.shape != (2,):
    data = jax.random.bits(key, (2,), jnp.uint32)
  return data[0], data[1]


def random_bits(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
  """uint32 words [*shape], equal to `jax.random.bits(key, shape, jnp.uint32)` for threefry keys.
  Requires prod(shape) < 2^32.

  The words are computed once, into a buffer: the cipher runs in a `lax.cond` branch whose
  predicate is always true but not foldable by XLA. Without it XLA fuses the cipher into each
  elementwise consumer and computes it once per consumer element (for 16-bit dropout draws,
  twice per word).
  """
  n = math.prod(shape)
  if n >= 2 ** 32:
    raise ValueError(f"random_bits draws at most 2^32 - 1 words per call, not {n}; split the key.")
  k0, k1 = key_words(key)

  def draw():
    index = jnp.zeros(shape, jnp.uint32)
    for axis, stride in enumerate(_strides(shape)):
      index = index + jax.lax.broadcasted_iota(jnp.uint32, shape, axis) * jnp.uint32(stride)
    w0, w1 = threefry2x32(k0, k1, jnp.zeros_like(index), index)
    return w0 ^ w1

  always = (k0 | jnp.uint32(1)) != 0
  return jax.lax.cond(always, draw, lambda: jnp.zeros(shape, jnp.uint32))


def _strides(shape: tuple[int, ...]) -> list[int]:
  """Row-major element strides of `shape`."""
  return [math.prod(shape[i + 1:]) for i in range(len(shape))]
