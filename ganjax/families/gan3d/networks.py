"""3D-GAN's networks (Wu et al. 2016, Sec. 3.1 and Fig. 1), at 32^3 instead of the paper's 64^3.

Generator: z [B, 200] -> Dense(4^3 * C) (the paper's first 4^3 transposed convolution from a
           1^3 input, which is this dense layer) -> BatchNorm -> ReLU -> [B, 4, 4, 4, C]
           -> ConvTranspose(C/2, 4^3, stride 2) BN ReLU -> [B, 8, 8, 8, C/2]
           -> ConvTranspose(C/4, 4^3, stride 2) BN ReLU -> [B, 16, 16, 16, C/4]
           -> ConvTranspose(1, 4^3, stride 2) sigmoid -> occupancy [B, 32, 32, 32, 1] in (0, 1).
           The paper's C is 512 with one more block (64 channels at 32^3) before its 64^3 output;
           at 32^3 that block is the output layer, so G has 4 layers instead of 5.
Critic:    occupancy [B, 32, 32, 32, 1] in [0, 1] -> Conv(F, 4^3, stride 2) LeakyReLU(0.2)
           -> Conv(2F, 4^3, s2) BN LeakyReLU -> Conv(4F, 4^3, s2) BN LeakyReLU -> [B, 4, 4, 4, 4F]
           -> Conv(1, 4^3, "VALID") -> logits [B] (the mirror of G; the paper's F is 64 at 64^3,
           so its mirror at 32^3 is F = 128, channels 128, 256, 512). No BatchNorm on D's input
           layer, as in DCGAN (Radford et al. 2016), which the paper's architecture follows.
Kernels N(0, 0.02) (DCGAN's initialisation). BatchNorm and the dense layer come from the
injected layer set; the kernel-4 stride-2 convolutions are ganjax/nn/conv3d.py's (`conv="blocked"`,
the same linear maps without dilated convolutions, 35-90x faster on XLA:CPU) or the layer set's
conv / conv_transpose (`conv="layers"`).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.conv3d import StridedConv3D, UpConv3D
from ganjax.nn.layers import PLAIN, Layers

INIT = nn.initializers.normal(0.02)
KERNEL = (4, 4, 4)
STRIDE = (2, 2, 2)


def _down(layers: Layers, conv: str, features: int, **kw):
  if conv == "blocked":
    return StridedConv3D(features, **kw)
  return layers.conv(features, KERNEL, STRIDE, **kw)


def _up(layers: Layers, conv: str, features: int, **kw):
  if conv == "blocked":
    return UpConv3D(features, **kw)
  return layers.conv_transpose(features, KERNEL, STRIDE, **kw)


def _batch_norm(layers: Layers, train: bool, axis_name, dtype):
  return layers.batch_norm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                           axis_name=axis_name if train else None, dtype=dtype)


class VoxelGenerator(nn.Module):
  """z [B, latent] -> occupancy [B, 32, 32, 32, 1] float32 in (0, 1); `features` is C above."""
  features: int = 512
  size: int = 32  # output side: 4 * 2^3
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  conv: str = "blocked"  # or "layers": the injected set's conv / conv_transpose
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    c, base = self.features, self.size // 8
    x = self.layers.dense(base ** 3 * c, kernel_init=INIT, use_bias=False, dtype=self.dtype)(z)
    x = x.reshape(x.shape[0], base, base, base, c)
    x = nn.relu(_batch_norm(self.layers, train, self.axis_name, self.dtype)(x))
    for f in (c // 2, c // 4):
      x = _up(self.layers, self.conv, f, kernel_init=INIT, use_bias=False, dtype=self.dtype)(x)
      x = nn.relu(_batch_norm(self.layers, train, self.axis_name, self.dtype)(x))
    x = _up(self.layers, self.conv, 1, kernel_init=INIT, dtype=self.dtype)(x)
    return nn.sigmoid(x.astype(jnp.float32))


class VoxelCritic(nn.Module):
  """occupancy [B, 32, 32, 32, 1] in [0, 1] -> DOutput(logits [B], features [B, 4^3 * 4F])."""
  features: int = 128
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  conv: str = "blocked"  # or "layers": the injected set's conv / conv_transpose
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    x = (x * 2.0 - 1.0).astype(self.dtype)  # occupancy [0, 1] -> [-1, 1]
    for i, f in enumerate((self.features, 2 * self.features, 4 * self.features)):
      x = _down(self.layers, self.conv, f, kernel_init=INIT, use_bias=i == 0, dtype=self.dtype)(x)
      if i:
        x = _batch_norm(self.layers, train, self.axis_name, self.dtype)(x)
      x = nn.leaky_relu(x, 0.2)
    features = x.reshape(x.shape[0], -1)
    logits = self.layers.conv(1, x.shape[1:4], padding="VALID", kernel_init=INIT,
                              dtype=self.dtype)(x)
    return DOutput(logits=logits.reshape(-1).astype(jnp.float32),
                   features=features.astype(jnp.float32))
