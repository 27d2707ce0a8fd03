"""SNGAN's CIFAR-10 ResNet generator (Miyato et al. 2018, appendix B, table 4), for square images
of any size divisible by 8 (the paper's is 32: bottom width 4); its discriminator and output
layers are shared with BigGAN and live in ganjax/nn/resnet.py.

Generator:     z [B, latent] -> Dense(s*s*F, no bias) -> reshape [B, s, s, F] (s = H / 8)
               -> 3 x GeneratorBlock(F) (each up 2x) -> BatchNorm -> ReLU -> 3x3 conv(C) -> tanh
               -> images [B, H, W, C] in [-1, 1].
Discriminator: ResNetDiscriminator (ganjax/nn/resnet.py).
Blocks: ganjax/nn/resnet_blocks.py. G has no biases before its last conv (the references have
them): each path from one to the image passes a BatchNorm, which removes it in train mode, and
rounding-noise gradients would make Adam move them by full steps. Initialisation as the
reference code (pfnet-research/sngan_projection): Glorot-uniform.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.resnet import GLOROT, UP_BLOCKS, output_layer
from ganjax.nn.resnet_blocks import GeneratorBlock


class SNGANGenerator(nn.Module):
  image_shape: Sequence[int]  # (H, W, C), H = W divisible by 8
  features: int = 256
  axis_name: str | None = None  # set under shard_map: BatchNorm statistics over the global batch
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """z: [B, latent] -> images [B, H, W, C] float32 in [-1, 1]."""
    h, _, c = self.image_shape
    s = h // 2 ** UP_BLOCKS
    x = self.layers.dense(s * s * self.features, kernel_init=GLOROT, use_bias=False,
                          dtype=self.dtype, name="dense")(z.astype(self.dtype))
    x = x.reshape(z.shape[0], s, s, self.features)
    for i in range(UP_BLOCKS):
      x = GeneratorBlock(self.features, axis_name=self.axis_name, dtype=self.dtype,
                         layers=self.layers, name=f"block_{i}")(x, train=train)
    return output_layer(self, x, c, train=train)
