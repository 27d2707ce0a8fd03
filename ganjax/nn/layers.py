"""The layer set model code builds from, injected as flax's imagenet example injects `conv`.

A network takes `layers: Layers` as a field and writes `self.layers.conv(64, (5, 5), (2, 2))`
where it would write `nn.Conv(...)`. The default set is plain flax. A faster set for one platform
comes from `ganjax.backends.layer_set(choice, ...)`, chosen once per run by `config.runtime.layers`;
it builds layers with the same constructor arguments, parameter names and shapes, so a checkpoint
trained with one set loads with the other and outputs agree to float rounding.

Constructor contracts (what model code may pass):
  conv(features, kernel_size, strides=(1, 1), padding="SAME", kernel_init=..., use_bias=...,
       dtype=..., name=...)          1, 2 or 3 spatial dims: len(kernel_size) picks the rank, on
                                     channels-last input [B, *spatial, C] (NWC, NHWC, NDHWC)
  conv_transpose(features, kernel_size, strides, padding="SAME", kernel_init=..., use_bias=...,
                 dtype=..., name=...)   the same ranks
  pixel_shuffle(x, factor)           depth to space, [B, *spatial, C * r^n] -> [B, *spatial * r, C]
                                     (a function, no parameters; Shi et al. 2016's sub-pixel layer)
  embed(num_embeddings, features, embedding_init=..., name=...)   flax's nn.Embed contract
  (use_bias=False before a normalization layer: the bias would be removed by it, leaving a
  parameter whose gradient is float rounding alone, which Adam turns into full-size steps.)
  batch_norm(use_running_average=..., momentum=..., epsilon=..., axis_name=..., dtype=...)
  dropout(rate, deterministic=...)
  dense(features, kernel_init=..., dtype=..., name=...)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import flax.linen as nn
import jax

ModuleDef = Callable[..., nn.Module]


def pixel_shuffle(x: jax.Array, factor: int) -> jax.Array:
  """Depth to space over every spatial axis: x [B, *spatial, C * factor^n] -> [B, *(s * factor),
  C], output channel c at offset (i_1 .. i_n) reading input channel (i_1 .. i_n, c) in row-major
  order: tf.nn.depth_to_space's order for n = 2 (PyTorch's nn.PixelShuffle orders the channels
  (c, i_1 .. i_n); the convolution before it learns either)."""
  n = x.ndim - 2
  *spatial, channels = x.shape[1:]
  if channels % factor ** n:
    raise ValueError(f"pixel_shuffle by {factor} over {n} spatial dims needs channels divisible "
                     f"by {factor ** n}, got {channels}.")
  c = channels // factor ** n
  y = x.reshape(x.shape[0], *spatial, *([factor] * n), c)
  # [B, s1..sn, r1..rn, C] -> [B, s1, r1, ..., sn, rn, C]
  order = [0] + [a for i in range(n) for a in (1 + i, 1 + n + i)] + [1 + 2 * n]
  return y.transpose(order).reshape(x.shape[0], *(s * factor for s in spatial), c)


@dataclasses.dataclass(frozen=True)
class Layers:
  conv: ModuleDef = nn.Conv
  conv_transpose: ModuleDef = nn.ConvTranspose
  batch_norm: ModuleDef = nn.BatchNorm
  dropout: ModuleDef = nn.Dropout
  dense: ModuleDef = nn.Dense
  pixel_shuffle: Callable = pixel_shuffle
  embed: ModuleDef = nn.Embed
  name: str = "flax"  # what the set is, for logs and the run's config.json

  def __repr__(self) -> str:
    return f"Layers({self.name})"


PLAIN: Layers = Layers()


def describe(layers: Any) -> str:
  return getattr(layers, "name", type(layers).__name__)
