"""`Conv`: flax's `nn.Conv` whose backward pass takes XLA:CPU's fast paths (same function, same
gradients): a strided convolution's input gradient as a sub-pixel transposed convolution and, for
layers with few input taps, its kernel gradient as a patch matmul
(ganjax/backends/cpu/adjoint_convs.py). Measured in BENCHMARKS.md ("Optimizations").
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.backends.cpu.adjoint_convs import conv2d
from ganjax.backends.cpu.channel_stats import add_bias


class Conv(nn.Module):
  """Drop-in for `nn.Conv(features, kernel_size, strides, padding)` on NHWC input (same parameter
  names, shapes and initialisers) whose backward pass uses `strided_conv`'s gradients."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int] = (1, 1)
  padding: str | Sequence[tuple[int, int]] = "SAME"
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
  use_bias: bool = True
  dtype: jnp.dtype | None = None
  kernels: str = "xla"  # "onednn": oneDNN's convolutions where they apply (adjoint_convs.conv2d)

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C_in] -> [B, Ho, Wo, features]."""
    kernel = self.param("kernel", self.kernel_init, (*self.kernel_size, x.shape[-1], self.features))
    bias = self.param("bias", self.bias_init, (self.features,)) if self.use_bias else None
    dtype = self.dtype or x.dtype
    padding = self.padding
    if isinstance(padding, str):
      padding = jax.lax.padtype_to_pads(x.shape[1:3], self.kernel_size, self.strides, padding)
    padding = tuple(tuple(int(v) for v in p) for p in padding)
    y = conv2d(x.astype(dtype), kernel.astype(dtype), tuple(self.strides), padding, self.kernels)
    return y if bias is None else add_bias(y, bias.astype(dtype))
