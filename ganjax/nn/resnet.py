"""SNGAN's ResNet pieces that BigGAN reuses (Miyato et al. 2018, appendix B, table 4;
pfnet-research/sngan_projection): the generators' output layers and the ResNet discriminator, for
square images of any size divisible by 8 (the paper's is 32: bottom width 4).

output_layer:        BatchNorm -> ReLU -> 3x3 conv(C) -> tanh (SNGAN's and BigGAN's generators).
ResNetDiscriminator: images -> optimized DiscriminatorBlock(F) (down) -> DiscriminatorBlock(F)
                     (down) -> 2 x DiscriminatorBlock(F) -> ReLU -> global sum pool -> Dense(1)
                     -> logits [B]. Blocks: ganjax/nn/resnet_blocks.py. Initialisation as the
                     reference code: Glorot-uniform, gain sqrt(2) on the blocks' residual convs,
                     1 elsewhere. It also takes the two options BigGAN's discriminator adds
                     (ganjax/families/biggan): a self-attention block after the first block whose
                     output has `attention_resolution`, and the projection head <embed(y), h>
                     (Miyato & Koyama 2018) with `num_classes`.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.attention import SelfAttention
from ganjax.nn.heads import ProjectionHead
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.resnet_blocks import RESIDUAL_INIT, SHORTCUT_INIT, DiscriminatorBlock
from ganjax.nn.spectral_norm import maybe_spectral_norm

UP_BLOCKS = 3  # the generator's blocks: H = 8 * bottom width
GLOROT = nn.initializers.xavier_uniform()


def output_layer(module: nn.Module, x: jax.Array, channels: int, *, train: bool,
                 spectral_norm: bool = False, kernel_init=GLOROT) -> jax.Array:
  """The generators' last layers, called inside `module`'s compact method: BatchNorm -> ReLU ->
  3x3 conv to `channels` -> tanh; x [B, H, W, F] -> images [B, H, W, channels] float32 in [-1, 1]."""
  x = module.layers.batch_norm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                               axis_name=module.axis_name if train else None, dtype=module.dtype,
                               name="out_norm")(x)
  conv = module.layers.conv(channels, (3, 3), padding="SAME", kernel_init=kernel_init,
                            dtype=module.dtype, name="out_conv")
  x = maybe_spectral_norm(conv, enabled=spectral_norm, train=train)(nn.relu(x))
  return jnp.tanh(x).astype(jnp.float32)


class ResNetDiscriminator(nn.Module):
  features: int = 128
  spectral_norm: bool = True
  attention_resolution: int = 0  # 0: none; else after the first block with this output size
  num_classes: int = 0  # > 0: projection discriminator, called as D(x, labels)
  residual_init: nn.initializers.Initializer = RESIDUAL_INIT
  shortcut_init: nn.initializers.Initializer = SHORTCUT_INIT
  dense_init: nn.initializers.Initializer = GLOROT
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None, *, train: bool) -> DOutput:
    """x: [B, H, W, C] float in [-1, 1] (H, W divisible by 4), labels: [B] int32 (projection only)
    -> DOutput(logits [B], features [B, F], projection [B] with num_classes) float32."""
    attended = False
    for i, (down, pre) in enumerate(((True, False), (True, True), (False, True), (False, True))):
      x = DiscriminatorBlock(self.features, downsample=down, preactivation=pre,
                             spectral_norm=self.spectral_norm, kernel_init=self.residual_init,
                             shortcut_init=self.shortcut_init, dtype=self.dtype,
                             layers=self.layers, name=f"block_{i}")(x, train=train)
      if not attended and x.shape[1] == self.attention_resolution:
        x = SelfAttention(self.spectral_norm, kernel_init=self.residual_init, dtype=self.dtype,
                          layers=self.layers, name="attention")(x, train=train)
        attended = True
    if self.attention_resolution and not attended:
      raise ValueError(f"attention_resolution {self.attention_resolution} is not the output size "
                       f"of any discriminator block; the blocks output sizes H/2 and H/4.")
    features = jnp.sum(nn.relu(x), axis=(1, 2))  # global sum pooling, as the paper
    dense = self.layers.dense(1, kernel_init=self.dense_init, dtype=self.dtype, name="dense")
    logits = maybe_spectral_norm(dense, enabled=self.spectral_norm, train=train)(features)
    logits = logits[:, 0].astype(jnp.float32)
    projection = None
    if self.num_classes:
      projection = ProjectionHead(self.num_classes, self.spectral_norm, name="projection")(
          features, labels, train=train)
      logits = logits + projection
    return DOutput(logits=logits, features=features.astype(jnp.float32), projection=projection)
