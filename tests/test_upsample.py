"""The sub-pixel transposed convolution equals flax's ConvTranspose in outputs and gradients."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends.cpu.upsample import ConvTranspose as SubpixelConvTranspose


# features=4: few output taps (the matmul + shifted planes path); 8 with k >= 5: per-phase convs.
@pytest.mark.parametrize("kernel, stride, size, features", [
    (5, 2, 7, 4), (5, 2, 14, 4), (4, 2, 8, 4), (3, 2, 5, 4), (3, 1, 6, 4), (5, 1, 4, 4),
    (2, 2, 3, 4), (1, 2, 4, 4), (3, 3, 4, 4), (1, 2, 4, 130), (3, 3, 4, 20),  # phases with no tap
    (5, 2, 7, 8), (5, 2, 14, 8), (4, 2, 8, 9), (5, 1, 4, 8)])
def test_matches_conv_transpose_values_and_gradients(kernel, stride, size, features):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, size, size, 3))
  ref = nn.ConvTranspose(features, (kernel, kernel), (stride, stride), padding="SAME")
  ours = SubpixelConvTranspose(features, (kernel, kernel), (stride, stride))
  params = ref.init(jax.random.PRNGKey(1), x)
  params = jax.tree.map(lambda p: p + 0.1 * jax.random.normal(jax.random.PRNGKey(2), p.shape), params)
  assert jax.tree.map(jnp.shape, ours.init(jax.random.PRNGKey(1), x)) == jax.tree.map(jnp.shape, params)

  y_ref, y = ref.apply(params, x), ours.apply(params, x)
  assert y.shape == y_ref.shape == (2, size * stride, size * stride, features)
  np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)

  w = jax.random.normal(jax.random.PRNGKey(3), y.shape)  # a generic linear read-out
  loss = lambda m: lambda p, x: jnp.sum(m.apply(p, x) * w)
  (gp_ref, gx_ref), (gp, gx) = (jax.grad(loss(m), argnums=(0, 1))(params, x) for m in (ref, ours))
  np.testing.assert_allclose(gx, gx_ref, rtol=1e-4, atol=1e-4)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4), gp, gp_ref)


def test_only_same_padding_is_accepted():
  assert SubpixelConvTranspose(4, (5, 5), (2, 2), padding="SAME").padding == "SAME"
  for padding in ("VALID", ((1, 2), (1, 2))):
    with pytest.raises(ValueError, match="'SAME' only"):
      SubpixelConvTranspose(4, (5, 5), (2, 2), padding=padding)


def test_dcgan_generator_variants_are_interchangeable():
  from ganjax.backends import layer_set
  from ganjax.families.dcgan.networks import DCGANGenerator
  from ganjax.nn.layers import PLAIN
  z = jax.random.normal(jax.random.PRNGKey(0), (3, 32))
  sub, ref = (DCGANGenerator((28, 28, 1), layers=s)
              for s in (layer_set("cpu", conv_kernels="xla"), PLAIN))
  variables = ref.init(jax.random.PRNGKey(1), z, train=False)
  assert jax.tree.map(jnp.shape, sub.init(jax.random.PRNGKey(1), z, train=False)) == \
      jax.tree.map(jnp.shape, variables)
  np.testing.assert_allclose(sub.apply(variables, z, train=False),
                             ref.apply(variables, z, train=False), atol=1e-5)


@pytest.mark.parametrize("features", [4, 8])  # the matmul and the per-phase paths
def test_second_order_gradients_match_conv_transpose(features):
  """An R1-style penalty (the squared input gradient) differentiated w.r.t. the parameters: the
  custom VJP's own backward pass is differentiated here, as in a gradient penalty through G."""
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 7, 7, 3))
  ref = nn.ConvTranspose(features, (5, 5), (2, 2), padding="SAME")
  ours = SubpixelConvTranspose(features, (5, 5), (2, 2))
  params = ref.init(jax.random.PRNGKey(1), x)
  penalty = lambda m: lambda p: jnp.sum(jax.grad(lambda x: jnp.sum(jnp.tanh(m.apply(p, x))))(x) ** 2)
  g_ref, g = (jax.grad(penalty(m))(params) for m in (ref, ours))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5), g, g_ref)
