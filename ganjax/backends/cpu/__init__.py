"""XLA:CPU's layer set: flax's layers rearranged for XLA:CPU's fast paths, same function.

Every layer takes flax's constructor arguments and has flax's parameter names and shapes
(ganjax/nn/layers.py states the contract):

  conv            `conv.Conv`: the input gradient as a sub-pixel transposed convolution, few-tap
                  layers as patch matmuls (adjoint_convs.py)
  conv_transpose  `upsample.ConvTranspose`: per-phase stride-1 convolutions ("SAME" padding only)
  batch_norm      `channel_stats.BatchNorm`: per-channel sums as matrix-vector products
  dropout         `dropout.Dropout`: masks from `threefry.random_bits` (not flax's masks)
  dense           flax's `nn.Dense`
  pixel_shuffle, embed   flax's (ganjax/nn/layers.py)

The fast convolutions are 2-D: a layer of another rank (1-D, 3-D), or a transposed convolution
with padding other than "SAME", is built from flax's class instead, per layer, when the model is
built (`per_layer`), so 3-D families run under runtime.layers = "auto" too.

The convolutions run XLA's kernels or, with kernels="onednn", oneDNN's where they apply
(kernels/onednn.py). `resolve_conv_kernels` makes that choice per run.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
from absl import logging

from ganjax.backends.cpu.adjoint_convs import KERNELS
from ganjax.backends.cpu.channel_stats import BatchNorm
from ganjax.backends.cpu.conv import Conv
from ganjax.backends.cpu.dropout import Dropout
from ganjax.backends.cpu.kernels import onednn
from ganjax.backends.cpu.upsample import ConvTranspose
from ganjax.errors import ConfigError
from ganjax.nn.layers import Layers


def resolve_conv_kernels(kernels: str, dtype, axis_name: str | None) -> str:
  """runtime.conv_kernels -> "xla" or "onednn" (`adjoint_convs.conv2d`).

  "auto" takes oneDNN's convolutions where they are measured faster and need nothing else: the
  CPU backend, float32, oneDNN built (kernels/onednn.py), and one device or a per-device
  (shard_map) step, since XLA's sharding passes see an FFI call as one indivisible op."""
  if kernels not in ("auto", *KERNELS):
    raise ConfigError(f"runtime.conv_kernels must be 'auto', 'xla' or 'onednn', got {kernels!r}.")
  if kernels == "onednn":
    if jax.default_backend() != "cpu":
      raise ConfigError(f"runtime.conv_kernels = 'onednn' runs on the CPU only, this backend is "
                        f"{jax.default_backend()!r}; use 'auto' or 'xla'.")
    if jnp.dtype(dtype) != jnp.float32:
      raise ConfigError(f"runtime.conv_kernels = 'onednn' needs dtype float32, got "
                        f"{jnp.dtype(dtype)}; use 'auto' or 'xla'.")
    reason = onednn.unavailable_reason()
    if reason is not None:
      raise ConfigError(f"runtime.conv_kernels = 'onednn': {reason}; or use 'auto' or 'xla'.")
  if kernels != "auto":
    return kernels
  usable = (jax.default_backend() == "cpu" and jnp.dtype(dtype) == jnp.float32
            and (jax.device_count() == 1 or axis_name is not None) and onednn.available())
  if jax.default_backend() == "cpu" and not usable:
    logging.info("runtime.conv_kernels = 'auto': XLA's convolutions (%s)",
                 onednn.unavailable_reason() or "bfloat16 or a multi-device mesh")
  return "onednn" if usable else "xla"


def per_layer(fast, fallback, *, transpose: bool):
  """A layer constructor that builds `fast` for a 2-D kernel (and "SAME" padding, for transposed
  convolutions) and `fallback` (flax's class) otherwise. Both are classes named as flax's, so
  unnamed layers get the same parameter paths either way."""

  def build(features, kernel_size, *args, **kwargs):
    padding = kwargs.get("padding", args[1] if len(args) > 1 else "SAME")
    same = isinstance(padding, str) and padding.upper() == "SAME"
    use_fast = len(tuple(kernel_size)) == 2 and (same or not transpose)
    return (fast if use_fast else fallback)(features, kernel_size, *args, **kwargs)
  return build


@functools.lru_cache(maxsize=None)
def cpu_layers(kernels: str = "xla") -> Layers:
  """The XLA:CPU set with convolution kernels "xla" or "onednn" (one object per choice, so
  modules built from it compare and hash equal across calls)."""
  if kernels not in KERNELS:
    raise ValueError(f"kernels must be one of {KERNELS}, got {kernels!r}.")
  return Layers(conv=per_layer(functools.partial(Conv, kernels=kernels), nn.Conv, transpose=False),
                conv_transpose=per_layer(functools.partial(ConvTranspose, kernels=kernels),
                                         nn.ConvTranspose, transpose=True),
                batch_norm=BatchNorm, dropout=Dropout, dense=nn.Dense, name=f"cpu({kernels})")
