"""Strided and transposed convolutions arranged for XLA:CPU's fast paths (same values, same gradients).

The two are each other's input gradient, so each one's custom VJP calls the other:

  strided_conv(x, w, s, pad):      y[i] = sum_t x[s*i + t - lo] w[t]            (lax.conv, stride s)
  transposed_conv(x, w, s, p):     y[s*i + a] = sum_t x[(s*i + a + t - p) / s] w[t]
                                   over taps t with (a + t - p) % s == 0   (lax.conv_transpose)

XLA differentiates a stride-s convolution into an input gradient with `lhs_dilation` = s (a
convolution over the zero-dilated output gradient, s*s times the useful work), and a transposed
convolution is itself such an `lhs_dilation` convolution. Here:

- `transposed_conv` runs as one stride-1 convolution per output phase (a, b) over exactly the
  kernel taps that reach that phase (sub-pixel convolution: 25 multiply-adds per output pixel for
  a 5x5 stride-2 kernel, none spent on zeros), interleaved back into [B, s*H, s*W, C].
  With few output taps (kh*kw*C_out <= 128, e.g. 1-channel images) it is instead one matmul and
  a sum of shifted planes. Its input gradient is the strided convolution with the flipped,
  transposed kernel, and its kernel gradient is that strided convolution's kernel gradient:
  XLA's dense strided kernels, no dilation.
- `strided_conv` keeps XLA's forward and kernel gradient; its input gradient is `transposed_conv`.
- `conv2d` / `conv2d_transpose` pick per layer: with `kernels="onednn"` the layers with many taps
  run as oneDNN's convolutions instead (kernels/onednn.py beside this file; float32 on the CPU).
- Convolutions with few input taps (kh*kw*C_in <= 128, e.g. a layer on 1-channel images) run
  forward and kernel gradient as matmuls over one set of explicit patches, which XLA:CPU runs far
  faster than its convolutions with 1 channel (and than the dilated-window kernel gradient).

Both support second-order differentiation (R1-style penalties), since each VJP is made of
differentiable calls. Measured in BENCHMARKS.md ("Optimizations").
"""

from __future__ import annotations

import functools
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.backends.cpu.kernels import onednn

_DN = ("NHWC", "HWIO", "NHWC")
_PATCH_MATMUL_MAX_TAPS = 128

Padding = tuple[tuple[int, int], tuple[int, int]]


def _xla_conv(x, w, strides, padding):
  return jax.lax.conv_general_dilated(x, w, strides, padding, dimension_numbers=_DN)


def _patches(x: jax.Array, kernel_hw: Sequence[int], strides, padding, out_hw) -> jax.Array:
  """[B, H, W, C] -> [B*Ho*Wo, kh*kw*C], columns ordered (i, j, c) like an HWIO kernel's rows."""
  (kh, kw), (sh, sw), (ho, wo) = kernel_hw, strides, out_hw
  # lax.pad: a transposed convolution's adjoint can have negative (cropping) high padding.
  xp = jax.lax.pad(x, jnp.zeros((), x.dtype), ((0, 0, 0), (*padding[0], 0), (*padding[1], 0), (0, 0, 0)))
  b, c = x.shape[0], x.shape[-1]
  cols = [jax.lax.slice(xp, (0, i, j, 0), (b, i + sh * (ho - 1) + 1, j + sw * (wo - 1) + 1, c),
                        (1, sh, sw, 1)) for i in range(kh) for j in range(kw)]
  return jnp.concatenate(cols, axis=-1).reshape(b * ho * wo, kh * kw * c)


def few_taps(kh: int, kw: int, channels: int) -> bool:
  """Whether a layer with this many taps per output (input channels x kernel window) runs as matmuls."""
  return kh * kw * channels <= _PATCH_MATMUL_MAX_TAPS


def _strided_forward(x, w, strides, padding):
  """XLA's convolution, or for few input taps one matmul over explicit patches (whose patches the
  kernel gradient's identical `_patches` call shares once XLA merges common subexpressions)."""
  kh, kw, cin, cout = w.shape
  if not few_taps(kh, kw, cin):
    return _xla_conv(x, w, strides, padding)
  out_hw = onednn.conv_output_hw(x.shape[1:3], w.shape, strides, padding)
  p = _patches(x, (kh, kw), strides, padding, out_hw)
  return (p @ w.reshape(-1, cout).astype(x.dtype)).reshape(x.shape[0], *out_hw, cout)


def conv_kernel_grad(x, g, w_shape, strides, padding):
  """d conv(x, w) / dw applied to g [B, Ho, Wo, C_out] -> [kh, kw, C_in, C_out]."""
  kh, kw, cin, cout = w_shape
  if few_taps(kh, kw, cin):
    p = _patches(x, (kh, kw), strides, padding, g.shape[1:3])
    return (p.T @ g.reshape(-1, cout)).reshape(w_shape)
  return jax.vjp(lambda w: _xla_conv(x, w, strides, padding), jnp.zeros(w_shape, x.dtype))[1](g)[0]


# ---------------------------------------------------------------------------------------------
# Transposed convolution: per-phase stride-1 convolutions.


def same_transpose_padding(k: int, s: int) -> int:
  """Low padding that `lax.conv_transpose(..., padding="SAME")` applies to the dilated input."""
  return k - 1 if s > k - 1 else int(np.ceil((k + s - 2) / 2))


def phase_taps(k: int, s: int, p: int) -> list[tuple[int, int, int]]:
  """Per output phase a in [0, s): (first tap t0, number of taps n, input offset m0) such that
  y[s*i + a] = sum_{d < n} x[i + m0 + d] w[t0 + s*d] for low padding p of the dilated input
  (n = 0: no tap reaches the phase)."""
  out = []
  for a in range(s):
    taps = [t for t in range(k) if (a + t - p) % s == 0]
    out.append((taps[0], len(taps), (a + taps[0] - p) // s) if taps else (0, 0, 0))
  return out


def _transposed_conv_phases(x, kernel, strides, low_padding):
  """[B, H, W, C_in] x [kh, kw, C_in, C_out] -> [B, sh*H, sw*W, C_out], one conv per phase."""
  (kh, kw, _, cout), (sh, sw) = kernel.shape, strides
  b, h, w = x.shape[:3]
  phases = []
  for t0h, nh, mh in phase_taps(kh, sh, low_padding[0]):
    for t0w, nw, mw in phase_taps(kw, sw, low_padding[1]):
      if nh == 0 or nw == 0:
        phases.append(jnp.zeros((b, h, w, cout), x.dtype))
        continue
      k_phase = kernel[t0h::sh][:nh, t0w::sw][:, :nw]
      pads = ((-mh, mh + nh - 1), (-mw, mw + nw - 1))
      phases.append(_xla_conv(x, k_phase.astype(x.dtype), (1, 1), pads))
  # Stacked on a new leading axis (whole blocks), then one transpose that keeps C innermost: the
  # consumer's fused loop reads it far faster than a stack on the inner axes (XLA's concatenate
  # picks the operand per element): +7% / +8% per step at batch 256 / 32.
  y = jnp.stack(phases).reshape(sh, sw, b, h, w, cout).transpose(2, 3, 0, 4, 1, 5)
  return y.reshape(b, h * sh, w * sw, cout)


def _transposed_conv_matmul(x, kernel, strides, low_padding):
  """The same for few output taps (kh*kw*C_out small, e.g. a layer producing 1-channel images):
  one matmul gives every input pixel's contribution to each tap, [B, H, W, kh, kw, C_out], and
  the kh*kw shifted, s-dilated planes are summed (y[s*m + p - t] += z[m, t]). XLA:CPU's
  convolutions with 1 output channel run at ~15 GFLOP/s; this is ~4x faster."""
  (kh, kw, cin, cout), (sh, sw) = kernel.shape, strides
  b, h, w = x.shape[:3]
  z = x.reshape(-1, cin) @ kernel.transpose(2, 0, 1, 3).reshape(cin, -1).astype(x.dtype)
  z = z.reshape(b, h, w, kh, kw, cout)
  zero, y = jnp.zeros((), x.dtype), None
  for th in range(kh):
    for tw in range(kw):
      lo_h, lo_w = low_padding[0] - th, low_padding[1] - tw
      plane = jax.lax.pad(z[:, :, :, th, tw], zero, ((0, 0, 0), (lo_h, sh - 1 - lo_h, sh - 1),
                                                     (lo_w, sw - 1 - lo_w, sw - 1), (0, 0, 0)))
      y = plane if y is None else y + plane
  return y


def _transposed_forward(x, kernel, strides, low_padding):
  kh, kw, _, cout = kernel.shape
  if few_taps(kh, kw, cout):
    return _transposed_conv_matmul(x, kernel, strides, low_padding)
  return _transposed_conv_phases(x, kernel, strides, low_padding)


def transpose_as_strided(kernel, strides, low_padding, in_hw, out_hw):
  """The strided convolution adjoint to a transposed one: (kernel [kh, kw, C_out, C_in], padding)."""
  kh, kw = kernel.shape[:2]
  pads = tuple((k - 1 - p, s * (n_in - 1) + k - n_out - (k - 1 - p))
               for k, s, p, n_in, n_out in zip((kh, kw), strides, low_padding, in_hw, out_hw))
  return jnp.flip(kernel, (0, 1)).swapaxes(2, 3), pads


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def transposed_conv(x: jax.Array, kernel: jax.Array, strides: tuple[int, int],
                    low_padding: tuple[int, int]) -> jax.Array:
  """lax.conv_transpose (transpose_kernel=False) of NHWC x [B, H, W, C_in] with kernel
  [kh, kw, C_in, C_out], strides (sh, sw) and low padding (ph, pw) of the dilated input: the first
  H*sh x W*sw outputs, [B, H*sh, W*sw, C_out]."""
  return _transposed_forward(x, kernel, strides, low_padding)


def _transposed_fwd(x, kernel, strides, low_padding):
  return _transposed_forward(x, kernel, strides, low_padding), (x, kernel)


def _transposed_bwd(strides, low_padding, residuals, g):
  x, kernel = residuals
  w_t, pads = transpose_as_strided(kernel, strides, low_padding, x.shape[1:3], g.shape[1:3])
  dx = _strided_forward(g, w_t, strides, pads)
  dw_t = conv_kernel_grad(g, x, w_t.shape, strides, pads)
  return dx, jnp.flip(dw_t, (0, 1)).swapaxes(2, 3)


transposed_conv.defvjp(_transposed_fwd, _transposed_bwd)


# ---------------------------------------------------------------------------------------------
# Strided convolution: XLA's forward and kernel gradient, `transposed_conv` as input gradient.


def _strided_input_grad(g, w, x_shape, strides, padding):
  """d conv(x, w) / dx applied to g [B, Ho, Wo, C_out] -> [B, H, W, C_in].

  dx[s*m + a] = sum_t g[(s*m + a + lo - t) / s] w[t]^T over taps t with (a + lo - t) % s == 0,
  i.e. `transposed_conv(g, flip(w)^T, s, low padding k - 1 - lo)` (lo: the forward's low padding).
  """
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


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def strided_conv(x: jax.Array, w: jax.Array, strides: tuple[int, int], padding: Padding) -> jax.Array:
  """lax.conv_general_dilated(x [B, H, W, C_in], w [kh, kw, C_in, C_out], strides, explicit
  padding ((lo, hi), (lo, hi))) in NHWC/HWIO -> [B, Ho, Wo, C_out], with the gradients above."""
  return _strided_forward(x, w, strides, padding)


def _strided_fwd(x, w, strides, padding):
  return _strided_forward(x, w, strides, padding), (x, w)


def _strided_bwd(strides, padding, residuals, g):
  x, w = residuals
  return (_strided_input_grad(g, w, x.shape, strides, padding),
          conv_kernel_grad(x, g, w.shape, strides, padding))


strided_conv.defvjp(_strided_fwd, _strided_bwd)


# ---------------------------------------------------------------------------------------------
# Per-layer choice of kernels.

KERNELS = ("xla", "onednn")


def conv2d(x, w, strides, padding: Padding, kernels: str = "xla") -> jax.Array:
  """`strided_conv`, or with kernels="onednn" oneDNN's convolution (and its gradients) where it
  applies: many input taps, float32, non-negative padding. Few-tap layers keep their matmuls,
  which beat both libraries' convolutions with 1 channel."""
  kh, kw, cin, _ = w.shape
  if kernels == "onednn" and not few_taps(kh, kw, cin) and onednn.supports(strides, padding, x.dtype):
    return onednn.conv(x, w, tuple(strides), padding)
  return strided_conv(x, w, tuple(strides), padding)


def conv2d_transpose(x, kernel, strides, low_padding, kernels: str = "xla") -> jax.Array:
  """`transposed_conv`, or with kernels="onednn" oneDNN's backward-data primitive of the adjoint
  strided convolution (the same map) where it applies, as `conv2d`."""
  kh, kw, _, cout = kernel.shape
  (sh, sw), (b, h, w) = strides, x.shape[:3]
  out_shape = (b, h * sh, w * sw, cout)
  if kernels == "onednn" and not few_taps(kh, kw, cout):
    w_t, pads = transpose_as_strided(kernel, strides, low_padding, (h, w), out_shape[1:3])
    if onednn.supports(strides, pads, x.dtype):
      return onednn.conv_input_grad(x, w_t, out_shape, tuple(strides), pads)
  return transposed_conv(x, kernel, tuple(strides), tuple(low_padding))
