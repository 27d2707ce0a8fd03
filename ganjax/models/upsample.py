"""Transposed convolution as one stride-1 convolution + depth-to-space (sub-pixel convolution).

`SubpixelConvTranspose` has the same parameters ('kernel' [kh, kw, C_in, C_out], 'bias' [C_out]),
the same initialisers and the same outputs and gradients as `flax.linen.ConvTranspose` with
padding "SAME" and `transpose_kernel=False`; only the arithmetic is arranged differently. A strided
transposed convolution multiplies mostly zeros of the dilated input; here each of the s*s output
phases (a, b) gathers exactly the kernel taps that reach it:

  ConvTranspose:  y[s*i + a] = sum_t x[(s*i + a + t - p) / s] * w[t]   over taps t with
                  (a + t - p) % s == 0, where p is lax's "SAME" low padding;
  here:           y[s*i + a] = sum_m x[i + m] * w_a[m]   (a dense stride-1 convolution),

with all phases stacked on the output channels and interleaved back by depth-to-space. On XLA:CPU
this avoids the slow strided transposed convolution (see BENCHMARKS.md for the measured gain).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np


def same_transpose_padding(k: int, s: int) -> int:
  """Low padding that `lax.conv_transpose(..., padding="SAME")` applies to the dilated input."""
  return k - 1 if s > k - 1 else int(np.ceil((k + s - 2) / 2))


def phase_taps(k: int, s: int, p: int) -> tuple[np.ndarray, int]:
  """Per output phase a in [0, s), the kernel tap feeding input offset m_lo + d (or k for none),
  for low padding p of the dilated input.

  Returns (table [s, K'] int, m_lo): table[a, d] = t with (a + t - p) / s == m_lo + d.
  """
  offsets = {(a, t): (a + t - p) // s for a in range(s) for t in range(k) if (a + t - p) % s == 0}
  m_lo, m_hi = min(offsets.values()), max(offsets.values())
  table = np.full((s, m_hi - m_lo + 1), k, np.int32)
  for (a, t), m in offsets.items():
    table[a, m - m_lo] = t
  return table, m_lo


def subpixel_kernel(kernel: jax.Array, strides: Sequence[int],
                    low_padding: Sequence[int]) -> tuple[jax.Array, tuple[int, int]]:
  """kernel [kh, kw, C_in, C_out] -> ([K'h, K'w, C_in, sh*sw*C_out] conv kernel, (m_lo_h, m_lo_w))."""
  kh, kw, cin, cout = kernel.shape
  (sh, sw) = strides
  th, lo_h = phase_taps(kh, sh, low_padding[0])
  tw, lo_w = phase_taps(kw, sw, low_padding[1])
  padded = jnp.pad(kernel, ((0, 1), (0, 1), (0, 0), (0, 0)))  # tap index k is an all-zero tap
  g = padded[th[:, :, None, None], tw[None, None, :, :]]       # [sh, K'h, sw, K'w, C_in, C_out]
  g = g.transpose(1, 3, 4, 0, 2, 5)                            # [K'h, K'w, C_in, sh, sw, C_out]
  return g.reshape(th.shape[1], tw.shape[1], cin, sh * sw * cout), (lo_h, lo_w)


def depth_to_space(z: jax.Array, sh: int, sw: int) -> jax.Array:
  """[B, H, W, sh*sw*C] -> [B, H*sh, W*sw, C], channel block (a, b) going to pixel (s*i+a, s*j+b)."""
  b, h, w, c = z.shape
  c //= sh * sw
  z = z.reshape(b, h, w, sh, sw, c).transpose(0, 1, 3, 2, 4, 5)
  return z.reshape(b, h * sh, w * sw, c)


def transposed_conv(x: jax.Array, kernel: jax.Array, strides: Sequence[int],
                    low_padding: Sequence[int]) -> jax.Array:
  """lax.conv_transpose (transpose_kernel=False) of NHWC x [B, H, W, C_in] with kernel
  [kh, kw, C_in, C_out], strides (sh, sw) and low padding (ph, pw) of the dilated input, as one
  stride-1 convolution + depth-to-space: the first H*sh x W*sw outputs, [B, H*sh, W*sw, C_out]."""
  k2, (lo_h, lo_w) = subpixel_kernel(kernel, strides, low_padding)
  pads = [(-lo_h, k2.shape[0] - 1 + lo_h), (-lo_w, k2.shape[1] - 1 + lo_w)]
  z = jax.lax.conv_general_dilated(x, k2.astype(x.dtype), (1, 1), pads,
                                   dimension_numbers=("NHWC", "HWIO", "NHWC"))
  return depth_to_space(z, *strides)


class SubpixelConvTranspose(nn.Module):
  """Drop-in for `nn.ConvTranspose(features, kernel_size, strides, padding="SAME")` on NHWC input."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int]
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
  dtype: jnp.dtype | None = None

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C_in] -> [B, H*sh, W*sw, features]."""
    kh, kw = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (kh, kw, x.shape[-1], self.features))
    bias = self.param("bias", self.bias_init, (self.features,))
    dtype = self.dtype or x.dtype
    low = [same_transpose_padding(k, s) for k, s in zip(self.kernel_size, self.strides)]
    y = transposed_conv(x.astype(dtype), kernel.astype(dtype), self.strides, low)
    return y + bias.astype(dtype)
