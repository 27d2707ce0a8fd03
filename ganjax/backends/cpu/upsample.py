"""`ConvTranspose`: flax's `nn.ConvTranspose` (padding "SAME", `transpose_kernel=False`) as
sub-pixel convolutions; named as flax's class, so unnamed layers get flax's parameter paths too.

Same parameters ('kernel' [kh, kw, C_in, C_out], 'bias' [C_out]), initialisers, outputs and
gradients; only the arithmetic is arranged differently. A strided transposed convolution multiplies
mostly zeros of the dilated input; here each of the s*s output phases is a dense stride-1
convolution over exactly the kernel taps that reach it, and the gradients are XLA's dense strided
convolutions (ganjax/backends/cpu/adjoint_convs.py). On XLA:CPU this avoids the slow strided
transposed convolution (see BENCHMARKS.md for the measured gain).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.backends.cpu.adjoint_convs import conv2d_transpose, same_transpose_padding
from ganjax.backends.cpu.channel_stats import add_bias


class ConvTranspose(nn.Module):
  """Drop-in for `nn.ConvTranspose(features, kernel_size, strides, padding="SAME")` on NHWC input.
  Only "SAME" padding is implemented: any other raises ValueError when the layer is constructed."""
  features: int
  kernel_size: Sequence[int]
  strides: Sequence[int]
  padding: str = "SAME"
  kernel_init: nn.initializers.Initializer = nn.initializers.lecun_normal()
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()
  use_bias: bool = True
  dtype: jnp.dtype | None = None
  kernels: str = "xla"  # "onednn": oneDNN's convolutions where they apply (adjoint_convs)

  def __post_init__(self):
    if not (isinstance(self.padding, str) and self.padding.upper() == "SAME"):
      raise ValueError(f"the sub-pixel ConvTranspose implements padding 'SAME' only, got "
                       f"{self.padding!r}; build this layer from flax's set (runtime.layers = "
                       "'flax') for other paddings.")
    super().__post_init__()

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    """x: [B, H, W, C_in] -> [B, H*sh, W*sw, features]."""
    kh, kw = self.kernel_size
    kernel = self.param("kernel", self.kernel_init, (kh, kw, x.shape[-1], self.features))
    bias = self.param("bias", self.bias_init, (self.features,)) if self.use_bias else None
    dtype = self.dtype or x.dtype
    low = tuple(same_transpose_padding(k, s) for k, s in zip(self.kernel_size, self.strides))
    y = conv2d_transpose(x.astype(dtype), kernel.astype(dtype), tuple(self.strides), low,
                         self.kernels)
    return y if bias is None else add_bias(y, bias.astype(dtype))
