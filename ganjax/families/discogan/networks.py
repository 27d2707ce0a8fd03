"""DiscoGAN's networks (Kim et al. 2017, Sec. 3 and Fig. 3; the reference's `Generator` and
`Discriminator` in SKTBrain/DiscoGAN `model.py`), sized by their feature lists:

EncoderDecoder (the generator), with n = len(features):
  x [B, H, W, C] in [-1, 1]
  encoder, f in features: Conv 4x4 stride 2, norm (not on the first), LeakyReLU(0.2)
           -> [B, H / 2^n, W / 2^n, features[-1]] (32x32 with 3 levels: 4x4, the reference's 4x4
           bottleneck at 64x64 with 4 levels)
  decoder, f in reversed(features[:-1]): ConvTranspose 4x4 stride 2, norm, ReLU
  output:  ConvTranspose 4x4 stride 2 to C, tanh -> [B, H, W, C] float32 in [-1, 1]
No skip connections: everything passes the bottleneck, so a translation can change the shape.

ConvDiscriminator:
  the same encoder (no norm on the first layer), then Conv over the whole remaining map (VALID)
  -> DOutput(logits [B] float32, features: the activations of every normalised layer, a tuple of
  [B, h, w, f] float32, for the feature-matching loss).
Norm "batch" (the reference's; statistics across devices under shard_map) or "instance"; weights
N(0, 0.02) (the reference's DCGAN-style init). Layers keep their biases (the injected layer set's
contract has no use_bias; the reference has none, which changes nothing before a norm).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.patchgan import INIT, normalization


class _Trunk(nn.Module):
  """What both networks share: the fields and the stride-2 encoder."""
  features: Sequence[int] = (64, 128, 256)
  norm: str = "batch"
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  def encode(self, x: jax.Array, train: bool) -> list:
    """x [B, H, W, C] -> the activations after each level, the last [B, H / 2^n, W / 2^n,
    features[-1]]; call from inside a compact __call__."""
    h, outs = x.astype(self.dtype), []
    for i, f in enumerate(self.features):
      # A conv feeding a norm has no bias: the norm removes it (ganjax/nn/layers.py).
      h = self.layers.conv(f, (4, 4), (2, 2), padding="SAME", kernel_init=INIT,
                           use_bias=not i or self.norm == "none", dtype=self.dtype,
                           name=f"down{i}")(h)
      if i:
        h = normalization(self.norm, train=train, axis_name=self.axis_name, dtype=self.dtype)(h)
      h = nn.leaky_relu(h, 0.2)
      outs.append(h)
    return outs


class EncoderDecoder(_Trunk):
  out_channels: int = 1

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C_in] in [-1, 1] -> [B, H, W, out_channels] float32 in [-1, 1]."""
    h = self.encode(x, train)[-1]
    up = lambda f, name, bias: self.layers.conv_transpose(
        f, (4, 4), (2, 2), padding="SAME", kernel_init=INIT, use_bias=bias, dtype=self.dtype,
        name=name)
    for j, f in enumerate(reversed(self.features[:-1])):
      h = normalization(self.norm, train=train, axis_name=self.axis_name,
                        dtype=self.dtype)(up(f, f"up{j}", self.norm == "none")(h))
      h = nn.relu(h)
    return jnp.tanh(up(self.out_channels, "out", True)(h)).astype(jnp.float32)


class ConvDiscriminator(_Trunk):
  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    """x: [B, H, W, C] in [-1, 1] -> DOutput(logits [B], features (tuple of [B, h, w, f]))."""
    outs = self.encode(x, train)
    h = outs[-1]
    logits = self.layers.conv(1, h.shape[1:3], (1, 1), padding="VALID",
                              kernel_init=INIT, dtype=self.dtype, name="logits")(h)
    return DOutput(logits=logits.reshape(x.shape[0]).astype(jnp.float32),
                   features=tuple(o.astype(jnp.float32) for o in outs[1:]))
