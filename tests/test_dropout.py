"""ganjax.backends.cpu.dropout.Dropout behaves as flax's nn.Dropout: the rate, the 1 / keep scaling,
independent elements, the same mask for the same key, and pass-through when deterministic."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends.cpu.dropout import Dropout, keep_mask


@pytest.mark.parametrize("rate", [0.1, 0.4, 0.9])
def test_drop_rate_and_scaling(rate):
  x = jnp.full((1001, 999), 2.0)  # an odd element count: the last 32-bit word is half used
  y = Dropout(rate).apply({}, x, deterministic=False, rngs={"dropout": jax.random.PRNGKey(0)})
  kept = np.asarray(y != 0)
  keep = 1.0 - rate
  # Kept elements are scaled exactly as flax scales them.
  np.testing.assert_allclose(np.asarray(y)[kept], 2.0 / keep, rtol=1e-6)
  # The kept fraction is within 5 standard errors of the quantized keep probability.
  p = round(keep * 65536) / 65536
  assert abs(p - keep) <= 2.0 ** -17
  assert abs(kept.mean() - p) < 5 * np.sqrt(p * (1 - p) / kept.size)


def test_elements_sharing_a_word_are_independent():
  # Elements 2i and 2i+1 come from the two halves of one threefry word: both kept with p^2.
  mask = np.asarray(keep_mask(jax.random.PRNGKey(3), 0.6, (2_000_000,)))
  pairs = mask.reshape(-1, 2)
  p = mask.mean()
  both = (pairs[:, 0] & pairs[:, 1]).mean()
  assert abs(both - p * p) < 5 * np.sqrt(p * p * (1 - p * p) / len(pairs))


def test_same_key_same_mask_other_key_other_mask():
  x = jnp.ones((64, 14, 14, 8))
  apply = lambda seed: Dropout(0.4).apply({}, x, deterministic=False,
                                          rngs={"dropout": jax.random.PRNGKey(seed)})
  np.testing.assert_array_equal(apply(1), apply(1))
  assert np.mean(np.asarray(apply(1)) != np.asarray(apply(2))) > 0.3


def test_deterministic_and_edge_rates_pass_through_like_flax():
  x = jax.random.normal(jax.random.PRNGKey(0), (4, 5, 3))
  rngs = {"dropout": jax.random.PRNGKey(1)}
  np.testing.assert_array_equal(Dropout(0.5, deterministic=True).apply({}, x), x)
  np.testing.assert_array_equal(Dropout(0.0).apply({}, x, deterministic=False, rngs=rngs), x)
  np.testing.assert_array_equal(Dropout(1.0).apply({}, x, deterministic=False, rngs=rngs), 0 * x)
  ref = nn.Dropout(0.5, deterministic=True).apply({}, x)
  np.testing.assert_array_equal(Dropout(0.5).apply({}, x, deterministic=True), ref)


def test_gradient_is_the_mask_over_keep():
  x = jnp.linspace(-1.0, 1.0, 4000).reshape(40, 100)
  f = lambda x: Dropout(0.25).apply({}, x, deterministic=False,
                                    rngs={"dropout": jax.random.PRNGKey(5)})
  y, vjp = jax.vjp(f, x)
  (g,) = vjp(jnp.ones_like(y))
  kept = np.asarray(y) != 0  # x has no zeros, so the output's zeros are the dropped elements
  assert 0.7 < kept.mean() < 0.8
  np.testing.assert_allclose(g, np.where(kept, 1 / 0.75, 0.0), rtol=1e-6)
