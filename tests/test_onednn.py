"""oneDNN convolutions (ganjax/backends/cpu/kernels/onednn.py) compute what XLA's do: values,
gradients and gradients of gradients, for the geometries ganjax's models use; the layers and the
DCGAN switch between the two kernels without changing parameters or results; missing pieces give
errors that name the fix."""

import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends import layer_set, resolve_conv_kernels
from ganjax.backends.cpu.adjoint_convs import conv2d_transpose
from ganjax.backends.cpu.kernels import onednn
from ganjax.errors import ConfigError

needs_onednn = pytest.mark.skipif(not onednn.available(), reason=str(onednn.unavailable_reason()))

_DN = ("NHWC", "HWIO", "NHWC")


def test_onednn_is_built_where_make_installs_it():
  """`make install` installs the cpu-kernels extra, so in CI the kernels must really build: a
  silent fallback to XLA would hide a broken build behind passing tests (only a machine without
  a C++ compiler is excused)."""
  if shutil.which(os.environ.get("CXX", "g++")) is None:
    pytest.skip("no C++ compiler: ganjax runs XLA's convolutions here")
  assert onednn.unavailable_reason() is None


@needs_onednn
@pytest.mark.parametrize("shape, kernel, strides, padding", [
    ((3, 14, 14, 64), (5, 5, 64, 128), (2, 2), ((1, 2), (1, 2))),  # DCGAN D conv 2 ("SAME")
    ((2, 9, 9, 8), (3, 3, 8, 5), (2, 2), ((0, 0), (0, 0))),          # VALID, odd size
    ((2, 8, 8, 6), (3, 3, 6, 4), (1, 1), ((1, 1), (1, 1))),          # stride 1
    ((2, 10, 7, 5), (4, 2, 5, 3), (3, 1), ((2, 1), (0, 3))),         # asymmetric everything
])
def test_conv_and_its_gradients_match_xla(shape, kernel, strides, padding):
  x = jax.random.normal(jax.random.key(0), shape)
  w = jax.random.normal(jax.random.key(1), kernel) / np.sqrt(np.prod(kernel[:3]))
  ref = lambda x, w: jax.lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=_DN)
  ours = lambda x, w: onednn.conv(x, w, strides, padding)
  np.testing.assert_allclose(ours(x, w), ref(x, w), rtol=1e-5, atol=1e-5)

  def r1_like(f):  # a nonlinear loss plus a squared input-gradient penalty: 2nd-order autodiff
    def loss(x, w):
      gx = jax.grad(lambda x: jnp.sum(jnp.tanh(f(x, w))))(x)
      return jnp.sum(jnp.sin(f(x, w))) + jnp.sum(gx ** 2)
    return jax.jit(jax.grad(loss, argnums=(0, 1)))(x, w)

  for got, want in zip(r1_like(ours), r1_like(ref)):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * float(jnp.max(jnp.abs(want))))


@needs_onednn
def test_transposed_conv_matches_lax_conv_transpose():
  """G's up-convolution (5x5, stride 2, "SAME") as oneDNN's backward-data primitive."""
  x = jax.random.normal(jax.random.key(0), (3, 7, 7, 128))
  k = jax.random.normal(jax.random.key(1), (5, 5, 128, 64)) / 40.0
  ref = lambda x, k: jax.lax.conv_transpose(x, k, (2, 2), "SAME", dimension_numbers=_DN)
  ours = lambda x, k: conv2d_transpose(x, k, (2, 2), (3, 3), kernels="onednn")
  np.testing.assert_allclose(ours(x, k), ref(x, k), rtol=1e-5, atol=1e-5)
  ct = jax.random.normal(jax.random.key(2), (3, 14, 14, 64))
  loss = lambda f: jax.grad(lambda x, k: jnp.sum(jnp.sin(f(x, k)) * ct), argnums=(0, 1))(x, k)
  for got, want in zip(loss(ours), loss(ref)):
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


@needs_onednn
def test_dcgan_with_onednn_kernels_equals_xla_kernels():
  """Same parameters, outputs and parameter gradients for G and D; only the kernels differ."""
  from ganjax.families.dcgan.networks import DCGANDiscriminator, DCGANGenerator
  z = jax.random.normal(jax.random.key(0), (4, 32))
  x = jax.random.uniform(jax.random.key(1), (4, 28, 28, 1), minval=-1, maxval=1)
  cpu = lambda k: layer_set("cpu", conv_kernels=k)
  for make, inp in ((lambda k: DCGANGenerator((28, 28, 1), layers=cpu(k)), z),
                    (lambda k: DCGANDiscriminator(layers=cpu(k)), x)):
    ref, ours = make("xla"), make("onednn")
    variables = ref.init(jax.random.key(2), inp, train=False)
    assert jax.tree.map(jnp.shape, ours.init(jax.random.key(2), inp, train=False)) == \
        jax.tree.map(jnp.shape, variables)
    run = lambda m, v: m.apply(v, inp, train=False)  # G: images; D: DOutput(logits, features)
    loss = lambda m: lambda v: sum(jnp.sum(jnp.sin(y)) for y in jax.tree.leaves(run(m, v)))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5),
                 run(ours, variables), run(ref, variables))
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5),
                 jax.grad(loss(ours))(variables), jax.grad(loss(ref))(variables))


def test_auto_kernels_follow_backend_dtype_and_device_count():
  want = "onednn" if onednn.available() and jax.device_count() == 1 else "xla"
  assert resolve_conv_kernels("auto", jnp.float32, None) == want
  assert resolve_conv_kernels("auto", jnp.bfloat16, None) == "xla"
  assert resolve_conv_kernels("xla", jnp.float32, None) == "xla"
  with pytest.raises(ConfigError, match="float32"):
    resolve_conv_kernels("onednn", jnp.bfloat16, None)
  with pytest.raises(ConfigError, match="'auto', 'xla' or 'onednn'"):
    resolve_conv_kernels("mkl", jnp.float32, None)


def test_missing_wheels_name_the_extra(monkeypatch, tmp_path):
  """Without the oneDNN wheels `auto` falls back to XLA and forcing oneDNN says what to install."""
  monkeypatch.setattr(onednn, "_wheel_file", lambda *a: None)
  for cached in (onednn._build, onednn._registered):
    monkeypatch.setattr(onednn, cached.__name__, cached.__wrapped__)
  assert "ganjax[cpu-kernels]" in onednn.unavailable_reason()
  assert resolve_conv_kernels("auto", jnp.float32, None) == "xla"
  assert layer_set("auto").name == "cpu(xla)"
  with pytest.raises(ConfigError, match=r"cpu-kernels"):
    resolve_conv_kernels("onednn", jnp.float32, None)
  with pytest.raises(ConfigError, match=r"cpu-kernels"):
    layer_set("cpu", conv_kernels="onednn")
