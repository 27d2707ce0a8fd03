"""Cross-example layers against numpy computations of their papers' formulas."""

import dataclasses

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError
from ganjax.families import BuildContext, build_family
from ganjax.nn.minibatch import MinibatchDiscrimination, VirtualBatchNorm, minibatch_stddev


def _x(*shape, seed=0):
  return np.asarray(jax.random.normal(jax.random.PRNGKey(seed), shape))


def build_networks(model, shape):
  """The family's networks {"g", "d"} for config.model = `model` on data of per-example `shape`
  (toy points for a 1-D shape, images otherwise), built with flax's layers."""
  from experiments.configs import dcgan_fashion_mnist
  config = dcgan_fashion_mnist.get_config()
  config.model = model
  spec = dataclasses.replace(dataset_spec("ring8" if len(shape) == 1 else "digits"), shape=shape)
  return build_family(config, BuildContext(spec=spec)).networks


def test_minibatch_stddev_matches_numpy():
  x = _x(8, 3, 3, 2)
  y = np.asarray(jax.jit(minibatch_stddev, static_argnums=1)(x, 4))
  assert y.shape == (8, 3, 3, 3)
  np.testing.assert_array_equal(y[..., :2], x)
  for i in range(8):  # groups are strided: example i is with i % 2, i % 2 + 2, ...
    members = x[np.arange(i % 2, 8, 2)]
    std = np.sqrt(members.var(axis=0) + 1e-8).mean()
    np.testing.assert_allclose(y[i, ..., 2], np.full((3, 3), std), rtol=1e-5)
  # Flat features (the MLP discriminator); a group larger than the batch uses the whole batch.
  f = _x(3, 5)
  np.testing.assert_allclose(np.asarray(minibatch_stddev(f, 4))[:, 5],
                             np.sqrt(f.var(axis=0) + 1e-8).mean(), rtol=1e-5)
  with pytest.raises(ConfigError, match="not divisible by the group size 4"):
    minibatch_stddev(_x(6, 2), 4)


def test_minibatch_discrimination_matches_the_papers_formula():
  f = _x(5, 4)
  layer = MinibatchDiscrimination(num_kernels=3, kernel_dim=2)
  params = layer.init(jax.random.PRNGKey(1), f)
  t = np.asarray(params["params"]["T"], np.float64)  # [A=4, B=3, C=2]
  t = t * 10.0  # larger T so the exp(-L1) terms are far from 1 and 0 alike
  y = np.asarray(layer.apply({"params": {"T": jnp.asarray(t, jnp.float32)}}, f))
  m = np.einsum("ia,abc->ibc", f.astype(np.float64), t)
  o = np.zeros((5, 3))
  for i in range(5):
    for j in range(5):
      if j != i:
        o[i] += np.exp(-np.abs(m[i] - m[j]).sum(axis=-1))
  assert 0.05 < o.mean() < 3.5
  np.testing.assert_allclose(y[:, :4], f, rtol=1e-6)
  np.testing.assert_allclose(y[:, 4:], o, rtol=1e-4, atol=1e-6)


def test_virtual_batch_norm_matches_numpy_with_the_reference_batch():
  r, b, c = 4, 3, 2
  x = _x(r + b, 2, 2, c) * 2.0 + 1.0
  layer = VirtualBatchNorm(num_reference=r, epsilon=1e-3)
  scale, bias = np.array([1.5, -0.5], np.float32), np.array([0.1, 0.2], np.float32)
  y = np.asarray(layer.apply({"params": {"scale": scale, "bias": bias}}, x))
  x64 = x.astype(np.float64)
  ref = x64[:r]
  for i in range(r + b):
    pool = ref if i < r else np.concatenate([ref, x64[i:i + 1]])  # reference (+ the example)
    mean, var = pool.mean(axis=(0, 1, 2)), pool.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y[i], (x64[i] - mean) / np.sqrt(var + 1e-3) * scale + bias,
                               rtol=1e-4, atol=1e-5)
  # An example's output does not depend on the rest of its batch.
  x2 = x.copy()
  x2[r + 1:] = 0.0
  np.testing.assert_allclose(np.asarray(layer.apply({"params": {"scale": scale, "bias": bias}}, x2))[r],
                             y[r], rtol=1e-6)


def test_vbn_generator_uses_a_fixed_reference_batch_from_the_init_key():
  cfg = ml_collections.ConfigDict(dict(name="dcgan", latent_dim=8, g_norm="virtual_batch",
                                       vbn_reference_size=4, g_base_features=8, g_mid_features=4))
  g = build_networks(cfg, (8, 8, 1))["g"]
  z = _x(3, 8)
  init = jax.jit(lambda k: g.init(k, z[:1], train=False))
  v0, v0_again, v1 = init(jax.random.PRNGKey(0)), init(jax.random.PRNGKey(0)), init(jax.random.PRNGKey(1))
  ref = np.asarray(v0["vbn_reference"]["z"])
  assert ref.shape == (4, 8) and "batch_stats" not in v0
  np.testing.assert_array_equal(ref, v0_again["vbn_reference"]["z"])
  assert not np.allclose(ref, v1["vbn_reference"]["z"])
  apply = jax.jit(lambda z: g.apply(v0, z, train=True, mutable=["vbn_reference"])[0])
  out = np.asarray(apply(z))
  assert out.shape == (3, 8, 8, 1)
  # Per-example outputs: a sample does not change with its batch (BatchNorm's would).
  np.testing.assert_allclose(np.asarray(apply(z[:1])), out[:1], rtol=1e-5, atol=1e-6)


def test_bad_generator_norm_is_a_config_error():
  cfg = ml_collections.ConfigDict(dict(name="dcgan", latent_dim=8, g_norm="layer"))
  with pytest.raises(ConfigError, match="model.g_norm must be 'batch' or 'virtual_batch'"):
    build_networks(cfg, (8, 8, 1))


def test_bad_minibatch_options_are_config_errors():
  cfg = ml_collections.ConfigDict(dict(name="mlp", latent_dim=8, minibatch_discrimination=-1))
  with pytest.raises(ConfigError, match="model.minibatch_discrimination must be an integer >= 0"):
    build_networks(cfg, (4,))
