"""The FID InceptionV3 network in flax (NHWC): pytorch-fid's port of the 2015-12-05 TensorFlow graph.

pytorch-fid rebuilds the graph from torchvision's InceptionV3 with four patched blocks:
  FIDInceptionA / FIDInceptionC / FIDInceptionE_1  3x3 average pool with count_include_pad=False
                                                   (TensorFlow's pool ignores the zero padding),
  FIDInceptionE_2 (Mixed_7c)                       3x3 max pool instead of the average pool,
BatchNorm eps 0.001, and 1008 logits (the 2015 graph's classes). Module and parameter names follow
torchvision's (`Mixed_5b/branch1x1/conv`), so the weight file maps onto them one to one
(ganjax/metrics/inception.py loads it).

  preprocess(images uint8 [N, H, W, C]) -> float32 [N, 299, 299, 3] in [-1, 1]
  FIDInceptionV3()(x) -> (pool3 [N, 2048] = global average pool of Mixed_7c, logits [N, 1008])
"""

from __future__ import annotations

import functools
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_LOGITS = 1008
BN_EPSILON = 1e-3
# Full float32 convolutions: on GPUs/TPUs XLA's default precision may use reduced-precision
# (TF32/bf16) passes; HIGHEST keeps the float32 arithmetic of the reference. No effect on CPU.
PRECISION = jax.lax.Precision.HIGHEST


class BasicConv(nn.Module):
  """torchvision's BasicConv2d: bias-free conv -> BatchNorm (running statistics) -> ReLU."""

  features: int
  kernel_size: tuple[int, int]
  strides: int = 1
  padding: tuple[int, int] = (0, 0)  # symmetric (H, W) zero padding, as torch's `padding`
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = nn.Conv(self.features, self.kernel_size, self.strides,
                padding=tuple((p, p) for p in self.padding), use_bias=False,
                precision=self.precision, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=BN_EPSILON, name="bn")(x)
    return nn.relu(x)


def _avg_pool_3x3(x: jax.Array) -> jax.Array:
  """F.avg_pool2d(k3, s1, p1, count_include_pad=False): padded zeros are not averaged in."""
  return nn.avg_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool_3x3(x: jax.Array) -> jax.Array:
  """F.max_pool2d(k3, s1, p1): padding is -inf, so it never wins."""
  return nn.max_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)))


def _max_pool_down(x: jax.Array) -> jax.Array:
  """MaxPool2d(k3, s2), no padding."""
  return nn.max_pool(x, (3, 3), (2, 2))


class InceptionA(nn.Module):
  """FIDInceptionA (Mixed_5b..5d) -> 224 + pool_features channels."""

  pool_features: int
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b1 = conv(64, (1, 1), name="branch1x1")(x)
    b5 = conv(48, (1, 1), name="branch5x5_1")(x)
    b5 = conv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = conv(64, (1, 1), name="branch3x3dbl_1")(x)
    b3 = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = conv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
  """torchvision's InceptionB (Mixed_6a, unpatched): stride-2 reduction -> 768 channels."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b3 = conv(384, (3, 3), strides=2, name="branch3x3")(x)
    bd = conv(64, (1, 1), name="branch3x3dbl_1")(x)
    bd = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = conv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool_down(x)], axis=-1)


class InceptionC(nn.Module):
  """FIDInceptionC (Mixed_6b..6e): factorised 7x7 convolutions -> 768 channels."""

  channels_7x7: int
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    c7 = self.channels_7x7
    b1 = conv(192, (1, 1), name="branch1x1")(x)
    b7 = conv(c7, (1, 1), name="branch7x7_1")(x)
    b7 = conv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = conv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = conv(c7, (1, 1), name="branch7x7dbl_1")(x)
    bd = conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = conv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = conv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = conv(192, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
  """torchvision's InceptionD (Mixed_7a, unpatched): stride-2 reduction -> 1280 channels."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b3 = conv(192, (1, 1), name="branch3x3_1")(x)
    b3 = conv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
    b7 = conv(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = conv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = conv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = conv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool_down(x)], axis=-1)


class InceptionE(nn.Module):
  """FIDInceptionE_1 (pool="avg", Mixed_7b) / FIDInceptionE_2 (pool="max", Mixed_7c) -> 2048."""

  pool: str
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b1 = conv(320, (1, 1), name="branch1x1")(x)
    b3 = conv(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([conv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          conv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], axis=-1)
    bd = conv(448, (1, 1), name="branch3x3dbl_1")(x)
    bd = conv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate([conv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                          conv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd)], axis=-1)
    pooled = _max_pool_3x3(x) if self.pool == "max" else _avg_pool_3x3(x)
    bp = conv(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class FIDInceptionV3(nn.Module):
  """x: float32 [N, 299, 299, 3] in [-1, 1] -> (pool3 [N, 2048] >= 0, logits [N, 1008])."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    p = dict(precision=self.precision)
    x = BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3", **p)(x)  # 149
    x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3", **p)(x)  # 147
    x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3", **p)(x)
    x = _max_pool_down(x)  # 73
    x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1", **p)(x)
    x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3", **p)(x)  # 71
    x = _max_pool_down(x)  # 35
    x = InceptionA(32, name="Mixed_5b", **p)(x)
    x = InceptionA(64, name="Mixed_5c", **p)(x)
    x = InceptionA(64, name="Mixed_5d", **p)(x)
    x = InceptionB(name="Mixed_6a", **p)(x)  # 17
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
      x = InceptionC(c7, name=name, **p)(x)
    x = InceptionD(name="Mixed_7a", **p)(x)  # 8
    x = InceptionE("avg", name="Mixed_7b", **p)(x)
    x = InceptionE("max", name="Mixed_7c", **p)(x)
    pool3 = jnp.mean(x, axis=(1, 2))  # AdaptiveAvgPool2d(1); dropout is off at inference
    logits = nn.Dense(NUM_LOGITS, precision=self.precision, name="fc")(pool3)
    return pool3, logits


def _linear_taps(in_size: int, out_size: int):
  """Source indices and weights of torch's bilinear (align_corners=False) along one axis.

  Computed in float32 like torch's CPU kernel: src = (dst + 0.5) * in/out - 0.5, clamped at 0;
  taps floor(src) and floor(src) + 1 (clamped to the last pixel) with weights 1 - frac, frac.
  """
  scale = np.float32(in_size) / np.float32(out_size)
  src = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
  src = np.maximum(src, np.float32(0))
  i0 = np.minimum(np.floor(src).astype(np.int32), in_size - 1)
  i1 = np.minimum(i0 + 1, in_size - 1)
  w1 = np.clip(src - i0.astype(np.float32), 0, 1).astype(np.float32)
  return i0, i1, np.float32(1) - w1, w1


def _resize_axis(x: jax.Array, axis: int, out_size: int) -> jax.Array:
  if x.shape[axis] == out_size:
    return x  # torch copies too: every source index is exact
  i0, i1, w0, w1 = _linear_taps(x.shape[axis], out_size)
  shape = [1] * x.ndim
  shape[axis] = out_size
  return (jnp.take(x, i0, axis=axis) * w0.reshape(shape)
          + jnp.take(x, i1, axis=axis) * w1.reshape(shape))


def preprocess(images: jax.Array) -> jax.Array:
  """images: [N, H, W, C] uint8 in [0, 255] or float in [0, 1], C in {1, 3}
  -> float32 [N, 299, 299, 3] in [-1, 1] (pytorch-fid's resize_input and normalize_input)."""
  x = jnp.asarray(images)
  x = x.astype(jnp.float32) / 255.0 if x.dtype == jnp.uint8 else x.astype(jnp.float32)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  x = _resize_axis(_resize_axis(x, 2, INPUT_SIZE), 1, INPUT_SIZE)
  return 2.0 * x - 1.0
