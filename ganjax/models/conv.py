"""A strided convolution whose gradients take XLA:CPU's fast paths (same function, same gradients).

XLA differentiates a stride-s convolution into an input gradient with `lhs_dilation` = s (a
convolution over the zero-dilated output gradient, s*s times the useful work) and a kernel
gradient with `rhs_dilation` = s. `strided_conv` keeps XLA's forward and kernel gradient but
computes the input gradient exactly as the transposed convolution it is, arranged as one stride-1
convolution + depth-to-space (ganjax/models/upsample.py):

  dx[s*m + a] = sum_t g[(s*m + a + lo - t) / s] w[t]^T   over taps t with (a + lo - t) % s == 0,

i.e. `transposed_conv(g, flip(w)^T, s, low padding k - 1 - lo)` (lo: the forward's low padding).
For kernels with few input taps (kh*kw*C_in <= 128, e.g. the first layer on 1-channel images) the
kernel gradient is a matmul over explicit patches, which XLA:CPU runs far faster than the
dilated-window convolution. Measured in BENCHMARKS.md ("Optimizations").
"""

from __future__ import annotations

import functools
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models.upsample import transposed_conv

_DN = ("NHWC", "HWIO", "NHWC")
_PATCH_MATMUL_MAX_TAPS = 128


def _xla_conv(x, w, strides, padding):
  return jax.lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=_DN)


def _patches(x: jax.Array, kernel_hw: Sequence[int], strides, padding, out_hw) -> jax.Array:
  """[B, H, W, C] -> [B*Ho*Wo, kh*kw*C], columns ordered (i, j, c) like an HWIO kernel's rows."""
  (kh, kw), (sh, sw), (ho, wo) = kernel_hw, strides, out_hw
  xp = jnp.pad(x, ((0, 0), tuple(padding[0]), tuple(padding[1]), (0, 0)))
  b, c = x.shape[0], x.shape[-1]
  cols = [jax.lax.slice(xp, (0, i, j, 0), (b, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, c),
                        (1, sh, sw, 1)) for i in range(kh) for j in range(kw)]
  return jnp.concatenate(cols, axis=-1).reshape(b * ho * wo, kh * kw * c)


def _input_grad(g, w, x_shape, strides, padding):
  """d conv(x, w) / dx applied to g [B, Ho, Wo, C_out] -> [B, H, W, C_in]."""
  kh, kw = w.shape[:2]
  (sh, sw), (h, wd) = strides, x_shape[1:3]
  # Rows past Ho*s can still receive gradient (VALID padding with leftover rows): extend g with
  # zero rows so the phases cover all H rows, then crop.
  extra = (max(0, -(-h // sh) - g.shape[1]), max(0, -(-wd // sw) - g.shape[2]))
  if any(extra):
    g = jnp.pad(g, ((0, 0), (0, extra[0]), (0, extra[1]), (0, 0)))
  w_t = jnp.flip(w, (0, 1)).swapaxes(2, 3)  # [kh, kw, C_out, C_in]
  low = (kh - 1 - padding[0][0], kw - 1 - padding[1][0])
  return transposed_conv(g, w_t, strides, low)[:, :h, :wd, :]


def _kernel_grad(x, g, w_shape, strides, padding):
  kh, kw, cin, cout = w_shape
  if kh * kw * cin <= _PATCH_MATMUL_MAX_TAPS:
    p = _patches(x, (kh, kw), strides, padding, g.shape[1:3])
    return (p.T @ g.reshape(-1, cout)).reshape(w_shape)
  return jax.vjp(lambda w: _xla_conv(x, w, strides, padding), jnp.zeros(w_shape, x.dtype))[1](g)[0]


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def strided_conv(x: jax.Array, w: jax.Array, strides: tuple[int, int],
                 padding: tuple[tuple[int, int], tuple[int, int]]) -> jax.Array:
  """lax.conv_general_dilated(x [B, H, W, C_in], w [kh, kw, C_in, C_out], strides, explicit
  padding ((lo, hi), (lo, hi))) in NHWC/HWIO -> [B, Ho, Wo, C_out], with the gradients above."""
  return _xla_conv(x, w, strides, padding)


def _fwd(x, w, strides, padding):
  return _xla_conv(x, w, strides, padding), (x, w)


def _bwd(strides, padding, residuals, g):
  x, w = residuals
  return (_input_grad(g, w, x.shape, strides, padding),
          _kernel_grad(x, g, w.shape, strides, padding))


strided_conv.defvjp(_fwd, _bwd)


class Conv(nn.Module):
  """Drop-in for `nn.Conv(features, kernel_size, strides, padding)` on NHWC input (same parameter
  names, shapes and initialisers) whose backward pass uses `strided_conv`'s gradients."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: str | Sequence[tuple[int, int]] = "SAME"
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
  dtype: jnp.dtype | None = None

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C_in] -> [B, Ho, Wo, features]."""
    kernel = self.param("kernel", self.kernel_init, (*self.kernel_size, x.shape[-1], self.features))
    bias = self.param("bias", self.bias_init, (self.features,))
    dtype = self.dtype or x.dtype
    padding = self.padding
    if isinstance(padding, str):
      padding = jax.lax.padtype_to_pads(x.shape[1:3], self.kernel_size, self.strides, padding)
    padding = tuple(tuple(int(v) for v in p) for p in padding)
    y = strided_conv(x.astype(dtype), kernel.astype(dtype), tuple(self.strides), padding)
    return y + bias.astype(dtype)
