"""CycleGAN's generator (Zhu et al. 2017, Appendix 7.2; Johnson et al. 2016's ResNet translator),
sized for 32x32 images:

  x [B, H, W, C] in [-1, 1]
  c7s1-F:   reflection pad 3, Conv 7x7 stride 1 (VALID), norm, ReLU            [B, H, W, F]
  d2F, d4F: Conv 3x3 stride 2, norm, ReLU                                      [B, H/4, W/4, 4F]
  R4F x n:  residual blocks of two reflection-padded Conv 3x3 (norm; ReLU between)
  u2F, uF:  ConvTranspose 3x3 stride 2, norm, ReLU                             [B, H, W, F]
  c7s1-C:   reflection pad 3, Conv 7x7 to C channels, tanh -> [B, H, W, C] float32 in [-1, 1]

The paper uses F = 64 with 6 blocks at 128x128 and 9 at 256x256; H and W must be divisible by 4.
Norm "instance" as the paper (per example: nothing crosses devices); weights N(0, 0.02).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.patchgan import INIT, normalization


def reflect(x: jax.Array, width: int) -> jax.Array:
  """[B, H, W, C] -> [B, H + 2 width, W + 2 width, C], mirrored at the borders (no edge seams
  from zero padding, as the reference's ReflectionPad2d)."""
  return jnp.pad(x, ((0, 0), (width, width), (width, width), (0, 0)), mode="reflect")


class ResnetGenerator(nn.Module):
  out_channels: int = 1
  features: int = 64
  blocks: int = 6
  norm: str = "instance"
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C_in] in [-1, 1] -> [B, H, W, out_channels] float32 in [-1, 1]."""
    # A conv feeding a norm has no bias: the norm removes it (ganjax/nn/layers.py).
    biased = self.norm == "none"
    conv = lambda f, k, s, pad, name, bias=biased: self.layers.conv(
        f, (k, k), (s, s), padding=pad, kernel_init=INIT, use_bias=bias, dtype=self.dtype, name=name)
    norm = lambda h: normalization(self.norm, train=train, dtype=self.dtype)(h)
    f = self.features
    h = nn.relu(norm(conv(f, 7, 1, "VALID", "c7s1")(reflect(x.astype(self.dtype), 3))))
    for i, mult in enumerate((2, 4)):
      # padding 1 on both sides as the reference's Conv2d(k=3, s=2, p=1): H -> H / 2.
      h = nn.relu(norm(conv(f * mult, 3, 2, ((1, 1), (1, 1)), f"down{i}")(h)))
    for i in range(self.blocks):
      r = nn.relu(norm(conv(4 * f, 3, 1, "VALID", f"res{i}_a")(reflect(h, 1))))
      h = h + norm(conv(4 * f, 3, 1, "VALID", f"res{i}_b")(reflect(r, 1)))
    for i, mult in enumerate((2, 1)):
      # "SAME" doubles H exactly, as the reference's ConvTranspose2d(k=3, s=2, p=1, output_padding=1).
      up = self.layers.conv_transpose(f * mult, (3, 3), (2, 2), padding="SAME", kernel_init=INIT,
                                      use_bias=biased, dtype=self.dtype, name=f"up{i}")
      h = nn.relu(norm(up(h)))
    h = conv(self.out_channels, 7, 1, "VALID", "out", True)(reflect(h, 3))
    return jnp.tanh(h).astype(jnp.float32)
