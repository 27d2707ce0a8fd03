"""ganjax.threefry: JAX's Threefry-2x32 cipher bit for bit, and well-mixed words from any key."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.extend.random import threefry_2x32

from ganjax.threefry import random_bits, threefry2x32


def test_cipher_equals_jax_threefry_2x32():
  key = jax.random.PRNGKey(42)
  x0 = jnp.arange(1000, dtype=jnp.uint32) * jnp.uint32(2654435761)
  x1 = jnp.arange(1000, dtype=jnp.uint32) ^ jnp.uint32(0xDEADBEEF)
  ours = jnp.concatenate(threefry2x32(key[0], key[1], x0, x1))
  np.testing.assert_array_equal(ours, threefry_2x32(key, jnp.concatenate([x0, x1])))


def _bit_matrix(words: jax.Array) -> np.ndarray:
  return (np.asarray(words)[:, None] >> np.arange(32, dtype=np.uint32)) & 1


def test_words_are_balanced_and_the_two_outputs_uncorrelated():
  n = 400_000
  words = random_bits(jax.random.PRNGKey(0), n)
  assert words.shape == (n,) and words.dtype == jnp.uint32
  bits = _bit_matrix(words)
  # Every bit position is 1 half of the time (5 standard errors).
  assert np.all(np.abs(bits.mean(0) - 0.5) < 5 * 0.5 / np.sqrt(n))
  # Words i and n/2 + i are the two outputs of one cipher call: their bits are uncorrelated.
  a, b = bits[: n // 2].astype(np.float64), bits[n // 2:].astype(np.float64)
  corr = ((a - 0.5) * (b - 0.5)).mean(0) / 0.25
  assert np.all(np.abs(corr) < 5 / np.sqrt(n // 2))


def test_deterministic_per_key_and_any_key_kind():
  k = jax.random.PRNGKey(7)
  np.testing.assert_array_equal(random_bits(k, 1001), random_bits(k, 1001))
  assert np.mean(np.asarray(random_bits(k, 1000)) == np.asarray(random_bits(jax.random.PRNGKey(8), 1000))) < 0.01
  # An odd count: the last cipher call's second word is dropped.
  assert random_bits(k, 7).shape == (7,)
  for typed in (jax.random.key(7), jax.random.key(7, impl="rbg")):
    words = np.asarray(jax.jit(random_bits, static_argnums=1)(typed, 64))
    assert words.shape == (64,) and len(set(words.tolist())) == 64


def test_too_many_words_is_a_clear_error():
  with pytest.raises(ValueError, match="split the key"):
    jax.eval_shape(lambda k: random_bits(k, 2 ** 33), jax.random.PRNGKey(0))
