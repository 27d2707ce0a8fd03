"""VAE baseline networks: the DCGAN generator as decoder and a mirrored convolutional encoder.

Encoder: images [B, H, W, C] in [-1, 1] -> DCGAN discriminator trunk (no dropout)
         -> Dense(2 * latent) -> (mean [B, latent], log_var [B, latent]) float32.
Decoder: z [B, latent] -> DCGAN generator without its output tanh -> pre-activations a
         [B, H, W, C]; the image mean is tanh(a) in [-1, 1] (ganjax/families/vae/objective.py).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.dcgan import INIT, DCGANTrunk
from ganjax.nn.layers import PLAIN, Layers


class VAEEncoder(nn.Module):
  latent_dim: int
  features: Sequence[int] = (64, 128)
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> tuple[jax.Array, jax.Array]:
    """x: [B, H, W, C] in [-1, 1] -> (mean, log_var), each [B, latent_dim] float32."""
    h = DCGANTrunk(self.features, dropout_rate=0.0, dtype=self.dtype, layers=self.layers,
                   name="trunk")(x, train=train)
    h = h.reshape(h.shape[0], -1)
    out = self.layers.dense(2 * self.latent_dim, kernel_init=INIT, dtype=self.dtype,
                            name="posterior")(h).astype(jnp.float32)
    return out[:, : self.latent_dim], out[:, self.latent_dim:]
