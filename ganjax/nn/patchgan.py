"""PatchGAN discriminator (Isola et al. 2017, Sec. 3.2.2; the critic of pix2pix and CycleGAN):
a fully convolutional critic whose output is a map of logits, one per overlapping patch.

  x [B, H, W, C] in [-1, 1] (pix2pix: input and output concatenated on C)
  -> Conv 4x4 stride 2, features[0], LeakyReLU(0.2) (no norm on the first layer)
  -> for f in features[1:-1]: Conv 4x4 stride 2, norm, LeakyReLU(0.2)
  -> Conv 4x4 stride 1, features[-1], norm, LeakyReLU(0.2)
  -> Conv 4x4 stride 1, 1 channel -> DOutput(logits [B, H / 2^(n-1), W / 2^(n-1)] float32)
with n = len(features). On 32x32 with features (64, 128, 256) the map is 8x8 and each logit sees a
34x34 window (of the zero-padded input). norm: "instance" (the reference's choice at batch size 1,
and per example, so no statistics cross devices), "batch" or "none"; weights N(0, 0.02) as in the
reference.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.layers import PLAIN, Layers

INIT = nn.initializers.normal(0.02)  # the pix2pix / CycleGAN reference's init_type "normal"


def normalization(kind: str, *, train: bool, axis_name: str | None = None, dtype=jnp.float32):
  """A fresh norm layer of `kind` ("instance", "batch", "none"): x -> x (same shape).

  Variances are E[(x - E[x])^2], not flax's default E[x^2] - E[x]^2: the latter cancels
  catastrophically where a channel's mean dwarfs its spread (the constant black borders of the
  padded data), and its rounding then depends on how XLA orders the reduction, which changes
  with the per-device batch: 1 and 8 devices drifted apart by 10% in two steps."""
  if kind == "instance":
    return nn.InstanceNorm(epsilon=1e-5, use_scale=False, use_bias=False, dtype=dtype,
                           use_fast_variance=False)
  if kind == "batch":
    return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                        axis_name=axis_name, dtype=dtype, use_fast_variance=False)
  if kind == "none":
    return lambda x: x
  raise ValueError(f"unknown norm {kind!r}; use 'instance', 'batch' or 'none'.")


class PatchDiscriminator(nn.Module):
  features: Sequence[int] = (64, 128, 256)
  norm: str = "instance"
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    """x: [B, H, W, C] in [-1, 1] -> DOutput(logits [B, h, w] float32, features [B, F])."""
    # A conv feeding a norm has no bias: the norm removes it (ganjax/nn/layers.py).
    conv = lambda f, s, name, bias=True: self.layers.conv(
        f, (4, 4), (s, s), padding="SAME", kernel_init=INIT, use_bias=bias, dtype=self.dtype,
        name=name)
    h = nn.leaky_relu(conv(self.features[0], 2, "conv0")(x.astype(self.dtype)), 0.2)
    for i, f in enumerate(self.features[1:], start=1):
      stride = 1 if i == len(self.features) - 1 else 2
      h = conv(f, stride, f"conv{i}", self.norm == "none")(h)
      h = nn.leaky_relu(normalization(self.norm, train=train, axis_name=self.axis_name,
                                      dtype=self.dtype)(h), 0.2)
    logits = conv(1, 1, "logits")(h)[..., 0]
    return DOutput(logits=logits.astype(jnp.float32),
                   features=h.reshape(h.shape[0], -1).astype(jnp.float32))
