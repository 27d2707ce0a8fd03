"""ganjax.backends.cpu.conv.Conv equals flax's nn.Conv in outputs and gradients (only the backward
pass is arranged differently), and the DCGAN discriminator built from either layer set is the same
function of the same parameters."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends.cpu.conv import Conv


@pytest.mark.parametrize("kernel, stride, size, channels, padding", [
    (5, 2, 28, 1, "SAME"), (5, 2, 14, 64, "SAME"),        # the DCGAN discriminator's layers
    (5, 2, 7, 3, "SAME"), (4, 2, 8, 3, "SAME"), (3, 2, 9, 2, "VALID"), (3, 3, 10, 2, "SAME"),
    (5, 2, 16, 3, "VALID"), (3, 1, 6, 3, "SAME"), (4, 2, 9, 40, ((2, 1), (0, 3)))])
def test_matches_nn_conv_values_and_gradients(kernel, stride, size, channels, padding):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, channels))
  ref = nn.Conv(5, (kernel, kernel), (stride, stride), padding=padding)
  ours = Conv(5, (kernel, kernel), (stride, stride), padding=padding)
  params = ref.init(jax.random.PRNGKey(1), x)
  assert jax.tree.map(jnp.shape, ours.init(jax.random.PRNGKey(1), x)) == jax.tree.map(jnp.shape, params)
  y_ref, y = ref.apply(params, x), ours.apply(params, x)
  np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)

  w = jax.random.normal(jax.random.PRNGKey(3), y.shape)  # a generic linear read-out, then a
  loss = lambda m: lambda p, x: jnp.sum(jnp.sin(m.apply(p, x)) * w)  # nonlinearity
  (gp_ref, gx_ref), (gp, gx) = (jax.grad(loss(m), argnums=(0, 1))(params, x) for m in (ref, ours))
  assert gx.shape == x.shape
  np.testing.assert_allclose(gx, gx_ref, rtol=1e-4, atol=1e-4)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4), gp, gp_ref)


@pytest.mark.parametrize("channels", [1, 64])  # patch-matmul and XLA kernel gradients
def test_second_order_gradients_match_nn_conv(channels):
  """R1's path: the squared input gradient of D differentiated w.r.t. D's parameters runs the
  custom VJP's backward pass (a transposed convolution with its own custom VJP) through autodiff."""
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 14, 14, channels))
  ref, ours = (m(8, (5, 5), (2, 2), padding="SAME") for m in (nn.Conv, Conv))
  params = ref.init(jax.random.PRNGKey(1), x)
  penalty = lambda m: lambda p: jnp.sum(jax.grad(lambda x: jnp.sum(jnp.tanh(m.apply(p, x))))(x) ** 2)
  g_ref, g = (jax.grad(penalty(m))(params) for m in (ref, ours))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5), g, g_ref)


def test_dcgan_discriminator_variants_are_interchangeable():
  from ganjax.backends import layer_set
  from ganjax.families.dcgan.networks import DCGANDiscriminator
  from ganjax.nn.layers import PLAIN
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 28, 28, 1))
  fast, ref = (DCGANDiscriminator(layers=s) for s in (layer_set("cpu", conv_kernels="xla"), PLAIN))
  variables = ref.init(jax.random.PRNGKey(1), x, train=False)
  assert jax.tree.map(jnp.shape, fast.init(jax.random.PRNGKey(1), x, train=False)) == \
      jax.tree.map(jnp.shape, variables)
  loss = lambda m: lambda v, x: jnp.sum(m.apply(v, x, train=False).logits ** 2)
  grads = [jax.grad(loss(m), argnums=(0, 1))(variables, x) for m in (fast, ref)]
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5), *grads)
