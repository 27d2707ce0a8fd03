"""DCGAN family's discriminator; its generator and trunk are shared with other families and live
in ganjax/nn/dcgan.py (imported here under this family's name too).

Discriminator: images [B, H, W, C] -> DCGANTrunk (Conv(64, k5, s2) LeakyReLU(0.2) -> Dropout(0.4)
               -> Conv(128, k5, s2) LeakyReLU(0.2) -> Dropout(0.4)) -> optional cross-example
               layers (ganjax/nn/minibatch.py) -> Dense(1) -> logits [B].
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.dcgan import INIT, DCGANGenerator, DCGANTrunk
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.minibatch import MinibatchHead
from ganjax.nn.spectral_norm import maybe_spectral_norm

__all__ = ["DCGANDiscriminator", "DCGANGenerator", "DCGANTrunk", "INIT"]


class DCGANDiscriminator(nn.Module):
  features: Sequence[int] = (64, 128)
  dropout_rate: float = 0.4
  spectral_norm: bool = False
  dtype: jnp.dtype = jnp.float32
  # Cross-example layers before the output (ganjax/nn/minibatch.py); 0 = off.
  minibatch_stddev_group: int = 0
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    """x: [B, H, W, C] float in [-1, 1] -> DOutput(logits [B], features [B, F]) float32."""
    sn = lambda layer: maybe_spectral_norm(layer, enabled=self.spectral_norm, train=train)
    x = DCGANTrunk(self.features, self.dropout_rate, self.spectral_norm, self.dtype, self.layers,
                   name="trunk")(x, train=train)
    features = x.reshape(x.shape[0], -1)
    x = MinibatchHead(self.minibatch_stddev_group, self.minibatch_kernels,
                      self.minibatch_kernel_dim, self.dtype)(x)
    logits = sn(self.layers.dense(1, kernel_init=INIT, dtype=self.dtype, name="Dense_0"))(x)
    return DOutput(logits=logits[:, 0].astype(jnp.float32), features=features.astype(jnp.float32))
