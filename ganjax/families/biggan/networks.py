"""BigGAN-lite (Brock et al. 2019) at CIFAR scale, for square images of any size divisible by 8:
SNGAN's ResNet (ganjax/nn/resnet.py) with BigGAN's additions.

Generator:  z [B, latent] split into 4 equal chunks (hierarchical latents); y = shared class
            embedding [B, embed_dim]. Dense(chunk_0) -> [B, s, s, F] (s = H / 8) -> 3 x
            GeneratorBlock(F) whose conditional BatchNorms read concat(y, chunk_{i+1}) (BigGAN's
            ccbn: gain 1 + linear, bias linear; ganjax/nn/conditional.py) -> self-attention after
            the block that outputs `attention_resolution` -> BatchNorm -> ReLU -> 3x3 conv(C) ->
            tanh -> images [B, H, W, C] in [-1, 1].
Discriminator: ResNetDiscriminator (SNGAN's) with self-attention after the first block whose
            output has `attention_resolution` and the projection head <embed(y), h>.
Spectral norm on every kernel of both (and on the ccbn projections); orthogonal initialisation
(BigGAN's default) except the projection head's N(0, 0.02) embedding (ganjax/nn/heads.py).

Truncation trick: `G(z, y, truncation=psi)` scales z by psi before use, so psi = 1 (or None)
leaves samples unchanged and psi = 0 gives G(0, y), the class's image at the mean latent. BigGAN's
paper truncates differently: it resamples the components of z whose magnitude exceeds a threshold
(a truncated normal), which keeps the latent's per-component distribution inside the threshold
rather than shrinking it toward 0.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.resnet import UP_BLOCKS, output_layer
from ganjax.nn.attention import SelfAttention
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.resnet_blocks import GeneratorBlock
from ganjax.nn.spectral_norm import maybe_spectral_norm

ORTHOGONAL = nn.initializers.orthogonal()
LATENT_CHUNKS = UP_BLOCKS + 1  # one for the dense layer, one per generator block


class BigGANGenerator(nn.Module):
  image_shape: Sequence[int]  # (H, W, C), H = W divisible by 8
  num_classes: int
  features: int = 256
  embed_dim: int = 128
  attention_resolution: int = 16  # 0: none
  spectral_norm: bool = True
  axis_name: str | None = None  # set under shard_map: BatchNorm statistics over the global batch
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z: jax.Array, labels: jax.Array, *, train: bool,
               truncation: float | jax.Array | None = None) -> jax.Array:
    """z: [B, latent] (latent divisible by 4), labels: [B] int32 in [0, num_classes),
    truncation: psi (None: off) -> images [B, H, W, C] float32 in [-1, 1]."""
    h, _, c = self.image_shape
    s = h // 2 ** UP_BLOCKS
    if truncation is not None:
      z = z * jnp.asarray(truncation, z.dtype)
    chunks = jnp.split(z.astype(self.dtype), LATENT_CHUNKS, axis=-1)
    y = nn.Embed(self.num_classes, self.embed_dim, embedding_init=ORTHOGONAL, name="shared")(labels)
    dense = self.layers.dense(s * s * self.features, kernel_init=ORTHOGONAL, use_bias=False,
                              dtype=self.dtype, name="dense")
    x = maybe_spectral_norm(dense, enabled=self.spectral_norm, train=train)(chunks[0])
    x = x.reshape(z.shape[0], s, s, self.features)
    for i in range(UP_BLOCKS):
      cond = jnp.concatenate([y.astype(self.dtype), chunks[i + 1]], axis=-1)
      x = GeneratorBlock(self.features, conditional=True, spectral_norm=self.spectral_norm,
                         axis_name=self.axis_name, kernel_init=ORTHOGONAL,
                         shortcut_init=ORTHOGONAL, dtype=self.dtype, layers=self.layers,
                         name=f"block_{i}")(x, cond, train=train)
      if x.shape[1] == self.attention_resolution:
        x = SelfAttention(self.spectral_norm, kernel_init=ORTHOGONAL, dtype=self.dtype,
                          layers=self.layers, name="attention")(x, train=train)
    return output_layer(self, x, c, train=train, spectral_norm=self.spectral_norm,
                        kernel_init=ORTHOGONAL)
