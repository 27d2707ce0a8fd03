"""The layer set model code builds from, injected as flax's imagenet example injects `conv`.

A network takes `layers: Layers` as a field and writes `self.layers.conv(64, (5, 5), (2, 2))`
where it would write `nn.Conv(...)`. The default set is plain flax. A faster set for one platform
comes from `ganjax.backends.layer_set(choice, ...)`, chosen once per run by `config.runtime.layers`;
it builds layers with the same constructor arguments, parameter names and shapes, so a checkpoint
trained with one set loads with the other and outputs agree to float rounding.

Constructor contracts (what model code may pass):
  conv(features, kernel_size, strides=(1, 1), padding="SAME", kernel_init=..., use_bias=...,
       dtype=..., name=...)
  conv_transpose(features, kernel_size, strides, padding="SAME", kernel_init=..., use_bias=...,
                 dtype=..., name=...)
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

ModuleDef = Callable[..., nn.Module]


@dataclasses.dataclass(frozen=True)
class Layers:
  conv: ModuleDef = nn.Conv
  conv_transpose: ModuleDef = nn.ConvTranspose
  batch_norm: ModuleDef = nn.BatchNorm
  dropout: ModuleDef = nn.Dropout
  dense: ModuleDef = nn.Dense
  name: str = "flax"  # what the set is, for logs and the run's config.json

  def __repr__(self) -> str:
    return f"Layers({self.name})"


PLAIN: Layers = Layers()


def describe(layers: Any) -> str:
  return getattr(layers, "name", type(layers).__name__)
