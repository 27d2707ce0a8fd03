"""3-D convolutions of kernel 4 and stride 2 written without dilated convolutions.

XLA:CPU runs a strided 3-D convolution forward at speed but its input gradient (a convolution
with lhs dilation 2) and a transposed 3-D convolution (the same) 40-100x slower (measured on a
2-core CPU: flax Conv 1->8 channels at 32^3, batch 16: forward 0.19 s, gradient 7.9 s;
ConvTranspose 4->1 at 16^3 -> 32^3, batch 8: forward 1.9 s). The same linear maps written as
stride-1 convolutions on blocked data have only undilated convolutions in their forward and
backward passes:

  StridedConv3D(features):  x [B, N, N, N, C] (N even) -> [B, N/2, N/2, N/2, features], equal to
      flax's Conv(features, (4, 4, 4), (2, 2, 2), padding="SAME") with the same kernel
      [4, 4, 4, C, features] and bias: pad 1, space-to-depth by 2 ([B, N/2+1, ..., 8C]), then a
      stride-1 VALID convolution with kernel 2 whose weights are the 4^3 kernel's taps regrouped.
  UpConv3D(features):  x [B, N, N, N, C] -> [B, 2N, 2N, 2N, features], the transposed (adjoint)
      map of the strided convolution above: y[2b + r] = sum_t x[b + t] w[k(t, r)] per axis with
      k = 2 (b - i) + r + 1, i.e. y[o] = sum_{i, k: 2i + k - 1 = o} x[i] w[k] (kernel [4, 4, 4,
      C, features]); computed as a stride-1 SAME convolution with kernel 3 to 8 * features
      channels (each output phase r uses 2 of the 3 taps per axis), then depth-to-space.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ganjax.nn.layers import pixel_shuffle

_DN = ("NDHWC", "DHWIO", "NDHWC")
# Per axis, UpConv3D's 3 input offsets t (-1, 0, 1) x 2 output phases r -> the 4-tap index k and
# whether that pair contributes: r = 0 reads offsets -1 (k 3) and 0 (k 1), r = 1 offsets 0 (k 2)
# and 1 (k 0).
_UP_TAP = np.array([[3, 0], [1, 2], [0, 0]])
_UP_USED = np.array([[1, 0], [1, 1], [0, 1]], np.float32)


def _space_to_depth(x: jax.Array) -> jax.Array:
  """[B, 2m, 2m, 2m, C] -> [B, m, m, m, 8C], channel order (r_d, r_h, r_w, c)."""
  b, d, h, w, c = x.shape
  x = x.reshape(b, d // 2, 2, h // 2, 2, w // 2, 2, c)
  return x.transpose(0, 1, 3, 5, 2, 4, 6, 7).reshape(b, d // 2, h // 2, w // 2, 8 * c)


class _Kernel4(nn.Module):
  """Fields and parameters both layers share: "kernel" [4, 4, 4, C, features] and "bias"."""
  features: int
  use_bias: bool = True
  kernel_init: Any = nn.initializers.lecun_normal()
  dtype: Any = jnp.float32

  def _kernel(self, c: int) -> jax.Array:
    return self.param("kernel", self.kernel_init, (4, 4, 4, c, self.features), jnp.float32)

  def _bias(self, y: jax.Array) -> jax.Array:
    if not self.use_bias:
      return y
    return y + self.param("bias", nn.initializers.zeros, (self.features,), jnp.float32).astype(y.dtype)


class StridedConv3D(_Kernel4):
  """flax Conv(features, (4, 4, 4), (2, 2, 2), "SAME") on even sizes, without dilation."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    c = x.shape[-1]
    if any(s % 2 for s in x.shape[1:4]):
      raise ValueError(f"StridedConv3D needs even spatial sizes, got {x.shape}.")
    kernel = self._kernel(c)
    # [4, 4, 4, C, F] -> taps (a, r) with k = 2a + r -> [2, 2, 2, (r_d, r_h, r_w, C), F]
    k = kernel.reshape(2, 2, 2, 2, 2, 2, c, self.features).transpose(0, 2, 4, 1, 3, 5, 6, 7)
    k = k.reshape(2, 2, 2, 8 * c, self.features).astype(self.dtype)
    x = _space_to_depth(jnp.pad(x.astype(self.dtype), ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))))
    return self._bias(jax.lax.conv_general_dilated(x, k, (1, 1, 1), "VALID",
                                                   dimension_numbers=_DN))


class UpConv3D(_Kernel4):
  """The transposed map of StridedConv3D: [B, N, N, N, C] -> [B, 2N, 2N, 2N, features]."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    c, f = x.shape[-1], self.features
    kernel = self._kernel(c)
    t, r = np.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    tap, used = _UP_TAP[t, r], _UP_USED[t, r]  # [3, 2] each
    # [t_d, t_h, t_w, r_d, r_h, r_w] index grids into the kernel's three tap axes
    grid = np.ix_(*[np.arange(n) for n in (3, 3, 3, 2, 2, 2)])
    kd, kh, kw = (tap[grid[i], grid[3 + i]] for i in range(3))
    mask = (used[grid[0], grid[3]] * used[grid[1], grid[4]] * used[grid[2], grid[5]])
    k = kernel[kd, kh, kw] * mask[..., None, None]  # [3, 3, 3, 2, 2, 2, C, F]
    k = k.transpose(0, 1, 2, 6, 3, 4, 5, 7).reshape(3, 3, 3, c, 8 * f).astype(self.dtype)
    y = jax.lax.conv_general_dilated(x.astype(self.dtype), k, (1, 1, 1), ((1, 1),) * 3,
                                     dimension_numbers=_DN)
    return self._bias(pixel_shuffle(y, 2))
