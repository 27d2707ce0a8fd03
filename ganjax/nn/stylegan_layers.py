"""StyleGAN2's layers (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"),
after the official StyleGAN2-ADA code (NVlabs/stylegan2-ada-pytorch, training/networks.py).

Equalized learning rate (ProGAN, Karras et al. 2018, Sec. 4.1): every weight is stored N(0, 1)
(N(0, 1/lr_multiplier^2) for the mapping network) and scaled at run time by
gain = lr_multiplier / sqrt(fan_in), so Adam's per-parameter step moves each layer's effective
weights at the same relative speed. The layers come from the injected `layers` set
(ganjax/nn/layers.py): a convolution or dense layer is linear, so running it on x * gain equals
running it with the kernel scaled by gain, and the raw kernel's gradient is gain times the
effective kernel's; biases are separate parameters added afterwards (not scaled, except by
lr_multiplier as in the reference).

Modulated convolution (StyleGAN2, Sec. 2.2): per sample b, kernel w'[b] = w * s[b] on the input
channels, demodulated by d[b, o] = 1 / sqrt(sum_{k, i} (w[k, i, o] s[b, i])^2 + 1e-8). Implemented
in the reference's "non-fused" form: scale the input channels by s, one convolution shared by the
batch, scale the output channels by d; this equals the per-sample kernels exactly (conv is linear
in its input channels; tests/test_stylegan2.py checks it against lax.conv per sample).

Resampling with the reference's FIR filter [1, 3, 3, 1] (upfirdn2d): `upsample_2x` (zero
insertion, filter, gain 4), `downsample_2x` (filter, keep every second pixel). The generator's
upsampling convolution is the reference's transposed 3x3 convolution with stride 2 followed by the
filter, the discriminator's downsampling one the filter followed by a 3x3 convolution with stride 2
(`ModulatedConv(up=True)`, `EqualConv(down=True)`): same padding, same outputs.

Images and features are NHWC float32.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers

# The 1-D taps of the reference's resample filter, normalized to sum 1.
FIR = (0.125, 0.375, 0.375, 0.125)
LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0)  # the reference's def_gain for lrelu: keeps activations' scale


def lrelu(x: jax.Array, gain: float = 1.0) -> jax.Array:
  """leaky_relu(x, 0.2) * sqrt(2) * gain (the reference's bias_act with act='lrelu')."""
  return nn.leaky_relu(x, LRELU_SLOPE) * (LRELU_GAIN * gain)


def normalize_2nd_moment(x: jax.Array, eps: float = 1e-8) -> jax.Array:
  """x [B, D] / sqrt(mean_D x^2 + eps): the mapping network's input normalization."""
  return x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + eps)


# ----------------------------------------------------------------------------- FIR resampling

def _fir_axis(x: jax.Array, axis: int, pad: tuple[int, int], up: int, down: int,
              gain: float) -> jax.Array:
  """upfirdn along one axis of x: `up - 1` zeros after every element, zero padding pad = (p0, p1),
  correlation with gain * FIR, every `down`-th element kept."""
  p0, p1 = pad
  config = [(0, 0, 0)] * x.ndim
  config[axis] = (p0, p1 + up - 1, up - 1)  # interior padding inserts the zeros
  x = jax.lax.pad(x, jnp.zeros((), x.dtype), config)
  n = x.shape[axis] - len(FIR) + 1
  y = sum((gain * t) * jax.lax.slice_in_dim(x, k, k + n, axis=axis) for k, t in enumerate(FIR))
  return jax.lax.slice_in_dim(y, 0, n, stride=down, axis=axis)


def _fir(x: jax.Array, pad: tuple[int, int], *, up: int = 1, down: int = 1,
         gain: float = 1.0) -> jax.Array:
  """upfirdn2d: x [B, H, W, C] with `up - 1` zeros inserted after every pixel (the trailing ones
  included), zero-padded by pad = (p0, p1) in H and W, correlated per channel with
  gain * outer(FIR, FIR) and kept at every `down`-th pixel.

  The separable filter as four shifted multiply-adds per axis, which XLA fuses with the padding
  and the striding into one elementwise loop per axis (and so do its derivatives, down to the
  second order R1 and path length take): no layout change, no single-channel convolution."""
  return _fir_axis(_fir_axis(x, 1, pad, up, down, gain ** 0.5), 2, pad, up, down, gain ** 0.5)


def blur(x: jax.Array, pad: tuple[int, int]) -> jax.Array:
  """[B, H, W, C] -> [B, H + p0 + p1 - 3, W + p0 + p1 - 3, C]: the separable [1, 3, 3, 1] / 8
  filter in both spatial axes over the input zero-padded by pad = (p0, p1) on each side."""
  return _fir(x, pad)


def upsample_2x(x: jax.Array) -> jax.Array:
  """[B, H, W, C] -> [B, 2H, 2W, C], the reference's upsample2d: zero insertion, then the filter
  with gain 2 per axis and padding (2, 1). Per axis: out[2i] = (x[i-1] + 3 x[i]) / 4,
  out[2i+1] = (3 x[i] + x[i+1]) / 4, with x = 0 outside the image."""
  return _fir(x, (2, 1), up=2, gain=4.0)


def downsample_2x(x: jax.Array) -> jax.Array:
  """[B, H, W, C] -> [B, H/2, W/2, C], the reference's downsample2d: the filter with padding
  (1, 1), then every second pixel: out[i] = (x[2i-1] + 3 x[2i] + 3 x[2i+1] + x[2i+2]) / 8."""
  return _fir(x, (1, 1), down=2)


# ----------------------------------------------------------------------------- equalized layers

class EqualDense(nn.Module):
  """Fully connected layer with equalized learning rate: x [B, in] -> [B, features].

  y = x @ (W * lr_multiplier / sqrt(in)) + b * lr_multiplier, W stored N(0, 1 / lr_multiplier^2),
  b stored `bias_init` (the reference's FullyConnectedLayer); `activation` "lrelu" or "linear".
  """
  features: int
  lr_multiplier: float = 1.0
  bias_init: float = 0.0
  activation: str = "linear"
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    gain = self.lr_multiplier / math.sqrt(x.shape[-1])
    y = self.layers.dense(self.features, kernel_init=nn.initializers.normal(1.0 / self.lr_multiplier),
                          use_bias=False, dtype=self.dtype, name="dense")(x * gain)
    b = self.param("bias", nn.initializers.constant(self.bias_init), (self.features,))
    y = y + b * self.lr_multiplier
    return lrelu(y) if self.activation == "lrelu" else y


class EqualConv(nn.Module):
  """Convolution with equalized learning rate: x [B, H, W, Cin] -> [B, H', W', features].

  Kernel stored N(0, 1), scaled by 1 / sqrt(k * k * Cin); H' = H ("SAME"), or H / 2 with `down`
  (the filter over the input padded by (2, 2) for k = 3, then a stride-2 "VALID" convolution, as
  the reference's conv2d_resample; k = 1: downsample_2x then the 1x1 convolution). Then + bias
  (if `use_bias`) and the activation ("lrelu" or "linear") times `gain` (the residual blocks'
  1/sqrt(2)).
  """
  features: int
  kernel_size: int = 3
  down: bool = False
  use_bias: bool = True
  activation: str = "lrelu"
  gain: float = 1.0
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    k = self.kernel_size
    x = x * (1.0 / math.sqrt(k * k * x.shape[-1]))
    strides, padding = (1, 1), "SAME"
    if self.down and k == 1:
      x = downsample_2x(x)
    elif self.down:
      x, strides, padding = blur(x, (k // 2 + 1, k // 2 + 1)), (2, 2), "VALID"
    y = self.layers.conv(self.features, (k, k), strides, padding=padding,
                         kernel_init=nn.initializers.normal(1.0), use_bias=False, dtype=self.dtype,
                         name="conv")(x.astype(self.dtype))
    if self.use_bias:
      y = y + self.param("bias", nn.initializers.zeros, (self.features,))
    return lrelu(y, self.gain) if self.activation == "lrelu" else y * self.gain


# ----------------------------------------------------------------------------- modulation

class ModulatedConv(nn.Module):
  """Modulated (and demodulated) convolution: (x [B, H, W, I], styles [B, I]) -> [B, H', W', O].

  y = conv(x * s) * d with s = styles, d[b, o] = 1/sqrt(sum_{k,i} (w[k, i, o] s[b, i])^2 + 1e-8)
  when `demodulate`; without it (toRGB) the kernel gets the equalized gain 1/sqrt(k*k*I) instead
  (demodulation makes any constant gain irrelevant). H' = H, or 2H with `up`: the transposed
  stride-2 convolution (its full output: the input padded by one row and column at the end,
  "SAME", cropped to 2H + 1), then `blur` with padding (1, 1), as the reference's conv2d_resample.
  Kernel [k, k, I, O] stored N(0, 1). No bias: the caller adds noise first.
  """
  features: int
  kernel_size: int = 3
  up: bool = False
  demodulate: bool = True
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, styles: jax.Array) -> jax.Array:
    k, fan_in = self.kernel_size, self.kernel_size ** 2 * x.shape[-1]
    gain = 1.0 if self.demodulate else 1.0 / math.sqrt(fan_in)
    x = x * (styles[:, None, None, :] * gain).astype(x.dtype)
    init = nn.initializers.normal(1.0)
    if self.up:
      b, h, w, _ = x.shape
      conv = self.layers.conv_transpose(self.features, (k, k), (2, 2), padding="SAME",
                                        kernel_init=init, use_bias=False, dtype=self.dtype,
                                        name="conv")
      y = conv(jnp.pad(x, ((0, 0), (0, 1), (0, 1), (0, 0))).astype(self.dtype))
      y = blur(y[:, :2 * h + 1, :2 * w + 1], (1, 1))
    else:
      conv = self.layers.conv(self.features, (k, k), padding="SAME", kernel_init=init,
                              use_bias=False, dtype=self.dtype, name="conv")
      y = conv(x.astype(self.dtype))
    if self.demodulate:
      y = y * demodulation(conv.variables["params"]["kernel"], styles)[:, None, None, :].astype(y.dtype)
    return y


def demodulation(kernel: jax.Array, styles: jax.Array, eps: float = 1e-8) -> jax.Array:
  """d [B, O] = 1 / sqrt(sum_{kh, kw, i} (kernel[kh, kw, i, o] * styles[b, i])^2 + eps) for a
  kernel [kh, kw, I, O] and styles [B, I]."""
  sq = jnp.sum(jnp.square(kernel.astype(jnp.float32)), axis=(0, 1))  # [I, O]
  return jax.lax.rsqrt(jnp.square(styles.astype(jnp.float32)) @ sq + eps)


class NoiseInjection(nn.Module):
  """x [B, H, W, C] + strength * noise [B, H, W] (one noise image per sample, broadcast over
  channels); `strength` a learned scalar initialised 0, as in the reference's SynthesisLayer."""

  @nn.compact
  def __call__(self, x: jax.Array, noise: jax.Array) -> jax.Array:
    strength = self.param("strength", nn.initializers.zeros, ())
    return x + (strength * noise)[..., None].astype(x.dtype)


class ToRGB(nn.Module):
  """toRGB: (x [B, H, W, I], w [B, w_dim]) -> [B, H, W, channels], a modulated 1x1 convolution
  without demodulation (style from an affine layer initialised to bias 1), plus a bias; linear."""
  channels: int
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, w: jax.Array) -> jax.Array:
    styles = EqualDense(x.shape[-1], bias_init=1.0, layers=self.layers, name="affine")(w)
    y = ModulatedConv(self.channels, 1, demodulate=False, layers=self.layers, dtype=self.dtype,
                      name="modconv")(x, styles)
    return y + self.param("bias", nn.initializers.zeros, (self.channels,))
