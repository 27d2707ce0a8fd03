"""Threefry-2x32 random bits written in jax.numpy, for bulk draws such as dropout masks.

The cipher is JAX's own (`jax.extend.random.threefry_2x32`: Threefry-2x32 with 20 rounds, the
same rotations and key schedule; a test checks the two agree bit for bit). What differs is how the
counters are laid out: `jax.random.bits` (partitionable threefry, JAX's default) spends one cipher
call per 32-bit output word and XORs the two output words together, and on XLA:CPU its lowering
took ~10 ns per word. Here each cipher call on counter (0, i) yields two words, and the whole draw
is one elementwise XLA fusion that the CPU vectorizes: 3.2M words in ~4 ms instead of ~35 ms on
the 2-core CPU (BENCHMARKS.md, "Optimizations"). The stream is a different (equally valid) threefry
stream than `jax.random.bits` for the same key.
"""

from __future__ import annotations

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


def random_bits(key: jax.Array, n: int) -> jax.Array:
  """n uniformly random uint32 words [n]: Threefry-2x32 of counters (0, i), i < ceil(n / 2),
  both output words kept. Deterministic in `key`; requires n < 2^33.

  The words are computed once, into a buffer: the cipher runs in a `lax.cond` branch whose
  predicate is always true but not foldable by XLA. Without it XLA fuses the cipher into each
  elementwise consumer and computes it once per consumer element (for 16-bit dropout draws, 4
  times per word: 15 ms instead of 4 for 3.2M words).
  """
  if n >= 2 ** 33:
    raise ValueError(f"random_bits draws at most 2^33 - 1 words per call, not {n}; split the key.")
  k0, k1 = key_words(key)

  def draw():
    counters = jax.lax.iota(jnp.uint32, -(-n // 2))
    w0, w1 = threefry2x32(k0, k1, counters, jnp.zeros_like(counters))
    return jnp.concatenate([w0, w1])[:n]

  always = (k0 | jnp.uint32(1)) != 0
  return jax.lax.cond(always, draw, lambda: jnp.zeros((n,), jnp.uint32))
