"""Which layer set a run's networks are built from: `layer_set(config.runtime.layers, ...)`.

Model code takes a `ganjax.nn.layers.Layers` and never imports this package; the run picks the set
once, here:

  "flax"  flax's own layers (`PLAIN`), on any backend.
  "cpu"   XLA:CPU's set (ganjax/backends/cpu/): the same function with the arithmetic arranged for
          XLA:CPU's fast paths; its convolutions run XLA's or oneDNN's kernels (`conv_kernels`).
          The CPU backend only.
  "auto"  "cpu" where it is measured faster (BENCHMARKS.md, "Optimizations"): the CPU backend in
          float32. Elsewhere "flax": GPU and TPU builds get plain flax layers, left to cuDNN / XLA.

Both sets have the same parameter names and shapes, so a checkpoint written with one loads with
the other and outputs agree to float rounding (tests/test_backends.py); only dropout masks differ
(the cpu set draws them from its own threefry bits).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from absl import logging

from ganjax.backends.cpu import cpu_layers, resolve_conv_kernels
from ganjax.errors import ConfigError
from ganjax.nn.layers import PLAIN, Layers

LAYER_CHOICES = ("auto", "flax", "cpu")
CONV_KERNELS = ("auto", "xla", "onednn")

__all__ = ["CONV_KERNELS", "LAYER_CHOICES", "layer_set", "resolve_conv_kernels"]


def _auto_takes_cpu(dtype) -> tuple[bool, str]:
  """Whether "auto" picks the cpu set here, and why."""
  backend = jax.default_backend()
  if backend != "cpu":
    return False, f"backend {backend!r}: the cpu set is measured faster on XLA:CPU only"
  if jnp.dtype(dtype) != jnp.float32:
    return False, f"dtype {jnp.dtype(dtype)}: the cpu set is measured faster in float32 only"
  return True, "XLA:CPU in float32, where it is measured faster"


def layer_set(choice: str = "auto", *, conv_kernels: str = "auto", dtype="float32",
              axis_name: str | None = None) -> Layers:
  """The layer set for `config.runtime.layers` = choice ("auto" | "flax" | "cpu").

  conv_kernels: `config.runtime.conv_kernels` ("auto" | "xla" | "onednn"), the cpu set's
    convolution kernels (`resolve_conv_kernels`); forcing "onednn" where it cannot run, or with
    flax's layers, is a ConfigError.
  dtype: the networks' compute dtype. axis_name: the shard_map axis of a per-device step, else
    None (oneDNN's FFI calls cannot be split by XLA's sharding passes).
  """
  if choice not in LAYER_CHOICES:
    raise ConfigError(f"runtime.layers must be one of {LAYER_CHOICES}, got {choice!r}.")
  if conv_kernels not in CONV_KERNELS:
    raise ConfigError(f"runtime.conv_kernels must be 'auto', 'xla' or 'onednn', got "
                      f"{conv_kernels!r}.")
  if choice == "cpu" and jax.default_backend() != "cpu":
    raise ConfigError(f"runtime.layers = 'cpu' builds XLA:CPU's layers, this backend is "
                      f"{jax.default_backend()!r}; use 'auto' or 'flax'.")
  if choice == "auto":
    use_cpu, why = _auto_takes_cpu(dtype)
  else:
    use_cpu, why = choice == "cpu", "forced"
  if conv_kernels == "onednn":
    resolve_conv_kernels(conv_kernels, dtype, axis_name)  # raises where oneDNN cannot run
    if not use_cpu:
      raise ConfigError("runtime.conv_kernels = 'onednn' runs inside the cpu layer set, but "
                        f"runtime.layers = {choice!r} builds flax's layers; use "
                        "runtime.layers = 'cpu' or 'auto', or runtime.conv_kernels = 'auto'.")
  layers = cpu_layers(resolve_conv_kernels(conv_kernels, dtype, axis_name)) if use_cpu else PLAIN
  logging.info("runtime.layers = %r: %s layers (%s)", choice, layers.name, why)
  return layers
