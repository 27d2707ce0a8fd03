"""ganjax.backends.cpu.channel_stats computes what flax computes: BatchNorm's outputs, running
statistics and gradients equal nn.BatchNorm's (also with statistics over a named axis), and the
bias add's gradient equals the plain broadcast add's."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends.cpu.channel_stats import BatchNorm, add_bias, channel_sum

KW = dict(momentum=0.9, epsilon=1e-3)


def _input(shape=(8, 5, 5, 6), seed=0):
  # A mean and scale per channel, so the statistics are far from 0 / 1.
  x = jax.random.normal(jax.random.PRNGKey(seed), shape)
  return x * jnp.arange(1, shape[-1] + 1) + jnp.linspace(-3, 3, shape[-1])


def test_channel_sum():
  x = _input()
  np.testing.assert_allclose(channel_sum(x), jnp.sum(x, axis=(0, 1, 2)), rtol=1e-5, atol=1e-4)


def test_add_bias_gradients():
  y, b = _input(), jnp.arange(6.0)
  w = _input(seed=1)
  f = lambda add: lambda y, b: jnp.sum(jnp.tanh(add(y, b)) * w)
  ref = jax.grad(f(lambda y, b: y + b), argnums=(0, 1))(y, b)
  ours = jax.grad(f(add_bias), argnums=(0, 1))(y, b)
  for r, o in zip(ref, ours):
    np.testing.assert_allclose(o, r, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_matches_flax(train):
  x = _input()
  ref, ours = nn.BatchNorm(**KW), BatchNorm(**KW)
  variables = ref.init(jax.random.PRNGKey(0), x, use_running_average=True)
  assert jax.tree.map(jnp.shape, ours.init(jax.random.PRNGKey(0), x, use_running_average=True)) \
      == jax.tree.map(jnp.shape, variables)
  # Non-trivial parameters and running statistics.
  variables = {"params": {"scale": jnp.linspace(0.5, 2, 6), "bias": jnp.linspace(-1, 1, 6)},
               "batch_stats": {"mean": jnp.linspace(-2, 2, 6), "var": jnp.linspace(1, 4, 6)}}
  w = _input(seed=1)

  def loss(module):
    def f(params, x):
      y, updates = module.apply({**variables, "params": params}, x, use_running_average=not train,
                                mutable=["batch_stats"])
      return jnp.sum(jnp.sin(y) * w), (y, updates)
    return f

  (l_ref, (y_ref, up_ref)), g_ref = jax.value_and_grad(loss(ref), (0, 1), has_aux=True)(
      variables["params"], x)
  (l, (y, up)), g = jax.value_and_grad(loss(ours), (0, 1), has_aux=True)(variables["params"], x)
  np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-5)
  for a, b in zip(jax.tree.leaves(up), jax.tree.leaves(up_ref)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  for a, b in zip(jax.tree.leaves(g), jax.tree.leaves(g_ref)):
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_batchnorm_statistics_over_a_named_axis_match_flax():
  xs = _input((4, 6, 3, 3, 5))  # 4 "devices", 6 examples each
  w = _input((4, 6, 3, 3, 5), seed=2)

  def run(module):
    def per_device(x, w):
      variables = module.init(jax.random.PRNGKey(0), x, use_running_average=True)
      def f(x):
        y, up = module.apply(variables, x, use_running_average=False, mutable=["batch_stats"])
        return jnp.sum(jnp.sin(y) * w), up
      (_, up), gx = jax.value_and_grad(f, has_aux=True)(x)
      return up, gx
    return jax.vmap(per_device, axis_name="data")(xs, w)

  (up_ref, g_ref) = run(nn.BatchNorm(axis_name="data", **KW))
  (up, g) = run(BatchNorm(axis_name="data", **KW))
  for a, b in zip(jax.tree.leaves(up), jax.tree.leaves(up_ref)):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(g, g_ref, rtol=1e-4, atol=1e-4)
  # Statistics over the named axis are global: every device holds the same running mean.
  np.testing.assert_allclose(up["batch_stats"]["mean"][0], up["batch_stats"]["mean"][3], rtol=1e-6)
