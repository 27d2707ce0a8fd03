"""pix2pix's generator (Isola et al. 2017, Sec. 3.2.1 and Appendix 6.1.1): a U-Net whose decoder
layers see the mirrored encoder layer through a skip connection, with dropout as the noise.

  x [B, H, W, C_in] in [-1, 1]
  encoder, f in features: Conv 4x4 stride 2 (the first on x; then after LeakyReLU(0.2)); norm on
           every layer but the first and the innermost (1x1 at H = 2^len(features))
  decoder, mirrored:      ReLU -> ConvTranspose 4x4 stride 2 -> norm -> dropout (the innermost
           `dropout_layers` decoder layers) -> concat with the encoder layer of the same size
  output:  ReLU -> ConvTranspose 4x4 stride 2 to C_out -> tanh -> [B, H, W, C_out] in [-1, 1]
H and W must be divisible by 2^len(features): (64, 128, 256, 512, 512) takes 32x32 to 1x1, as the
reference's eight levels take 256x256. Norm "instance" is the reference's batch norm at its batch
size 1 (and is per example, so nothing crosses devices); weights N(0, 0.02).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.patchgan import INIT, normalization


class UNetGenerator(nn.Module):
  out_channels: int = 1
  features: Sequence[int] = (64, 128, 256, 512, 512)
  dropout_rate: float = 0.5
  dropout_layers: int = 2
  norm: str = "instance"
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C_in] in [-1, 1] -> [B, H, W, out_channels] float32 in [-1, 1]."""
    # A conv feeding a norm has no bias: the norm removes it (ganjax/nn/layers.py).
    conv = lambda f, name, bias: self.layers.conv(f, (4, 4), (2, 2), padding="SAME", kernel_init=INIT,
                                                  use_bias=bias, dtype=self.dtype, name=name)
    up = lambda f, name, bias: self.layers.conv_transpose(f, (4, 4), (2, 2), padding="SAME",
                                                          kernel_init=INIT, use_bias=bias,
                                                          dtype=self.dtype, name=name)
    norm = lambda: normalization(self.norm, train=train, dtype=self.dtype)
    depth = len(self.features)
    skips, h = [], x.astype(self.dtype)
    for i, f in enumerate(self.features):
      normed = 0 < i < depth - 1 and self.norm != "none"
      h = conv(f, f"down{i}", not normed)(h if i == 0 else nn.leaky_relu(h, 0.2))
      if normed:
        h = norm()(h)
      skips.append(h)
    for j, f in enumerate(reversed(self.features[:-1])):
      h = norm()(up(f, f"up{j}", self.norm == "none")(nn.relu(h)))
      if j < self.dropout_layers and self.dropout_rate:
        h = self.layers.dropout(self.dropout_rate, deterministic=not train)(h)
      h = jnp.concatenate([h, skips[depth - 2 - j]], axis=-1)
    h = up(self.out_channels, "out", True)(nn.relu(h))
    return jnp.tanh(h).astype(jnp.float32)
