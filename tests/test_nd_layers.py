"""The injected layer contract over 1-3 spatial dims: pixel shuffle, N-D convolutions, and the CPU
set falling back to flax's layers, per layer, where it has no fast kernel."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends.cpu import cpu_layers
from ganjax.backends.cpu.conv import Conv as FastConv
from ganjax.nn.layers import PLAIN, pixel_shuffle


def _depth_to_space_loops(x: np.ndarray, r: int) -> np.ndarray:
  """Reference: out[b, h*r + i, w*r + j, c] = x[b, h, w, (i*r + j)*C + c]."""
  b, h, w, cr = x.shape
  c = cr // (r * r)
  out = np.zeros((b, h * r, w * r, c), x.dtype)
  for i in range(r):
    for j in range(r):
      out[:, i::r, j::r, :] = x[..., (i * r + j) * c:(i * r + j + 1) * c]
  return out


def test_pixel_shuffle_2d_matches_depth_to_space_and_3d_moves_every_value_once():
  x = np.arange(2 * 3 * 4 * 12, dtype=np.float32).reshape(2, 3, 4, 12)
  np.testing.assert_array_equal(pixel_shuffle(jnp.asarray(x), 2), _depth_to_space_loops(x, 2))
  v = np.arange(1 * 2 * 2 * 2 * 16, dtype=np.float32).reshape(1, 2, 2, 2, 16)
  out = np.asarray(pixel_shuffle(jnp.asarray(v), 2))
  assert out.shape == (1, 4, 4, 4, 2)
  assert sorted(out.ravel()) == sorted(v.ravel())
  # Offset (1, 0, 1) of voxel (0, 1, 1) holds input channel (1*4 + 0*2 + 1) * 2 + c.
  np.testing.assert_array_equal(out[0, 1, 2, 3], v[0, 0, 1, 1, 5 * 2:5 * 2 + 2])
  with pytest.raises(ValueError, match="divisible by 4"):
    pixel_shuffle(jnp.zeros((1, 2, 2, 6)), 2)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_cpu_set_convs_equal_flax_at_every_rank(rank):
  """Same parameter paths and outputs as flax's set for 1-D, 2-D and 3-D kernels; 2-D layers take
  the fast class, the others flax's."""
  class Net(nn.Module):
    layers: object

    @nn.compact
    def __call__(self, x):
      y = nn.relu(self.layers.conv(8, (3,) * rank, (2,) * rank)(x))
      return self.layers.conv_transpose(4, (4,) * rank, (2,) * rank)(y)

  x = jax.random.normal(jax.random.PRNGKey(0), (2, *([8] * rank), 3))
  plain, fast = Net(PLAIN), Net(cpu_layers("xla"))
  params = plain.init(jax.random.PRNGKey(1), x)
  assert jax.tree.structure(params) == jax.tree.structure(fast.init(jax.random.PRNGKey(1), x))
  np.testing.assert_allclose(fast.apply(params, x), plain.apply(params, x), atol=1e-4)
  built = cpu_layers("xla").conv(8, (3,) * rank)
  assert isinstance(built, FastConv) == (rank == 2)
  grad = lambda net: jax.grad(lambda p: jnp.sum(net.apply(p, x) ** 2))(params)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3),
               grad(fast), grad(plain))


def test_cpu_set_transposed_conv_with_valid_padding_falls_back_to_flax():
  layer = cpu_layers("xla").conv_transpose(4, (3, 3), (2, 2), padding="VALID")
  assert type(layer) is nn.ConvTranspose
