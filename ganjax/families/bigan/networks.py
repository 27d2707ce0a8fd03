"""BiGAN / ALI networks (Donahue et al. 2017; Dumoulin et al. 2017) besides DCGAN's generator.

Encoder E:         images [B, H, W, C] in [-1, 1] -> DCGAN discriminator trunk (no dropout)
                   -> flatten -> Dense(latent) -> z [B, latent] float32 (deterministic).
Discriminator D:   a joint critic of (image, latent) pairs:
                   x [B, H, W, C] -> DCGAN trunk (dropout) -> flatten            -> hx [B, Fx]
                   z [B, latent]  -> Dense(z_features) -> LeakyReLU(0.2)          -> hz [B, Fz]
                   concat(hx, hz) -> Dense(hidden) -> LeakyReLU(0.2) -> Dropout -> Dense(1)
                   -> DOutput(logits [B], features = concat(hx, hz) [B, Fx + Fz]) float32.
Kernels use DCGAN's Glorot-uniform init; layers come from the injected set (ganjax/nn/layers.py).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.dcgan import INIT, DCGANTrunk
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm


class BiGANEncoder(nn.Module):
  latent_dim: int
  features: Sequence[int] = (64, 128)
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C] in [-1, 1] -> z [B, latent_dim] float32 (unbounded)."""
    h = DCGANTrunk(self.features, dropout_rate=0.0, dtype=self.dtype, layers=self.layers,
                   name="trunk")(x, train=train)
    h = h.reshape(h.shape[0], -1)
    return self.layers.dense(self.latent_dim, kernel_init=INIT, dtype=self.dtype,
                             name="latent")(h).astype(jnp.float32)


class JointDiscriminator(nn.Module):
  features: Sequence[int] = (64, 128)  # the x branch's DCGAN trunk
  z_features: int = 256
  hidden: int = 512
  dropout_rate: float = 0.4
  spectral_norm: bool = False  # every kernel spectrally normalised
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, z: jax.Array, *, train: bool) -> DOutput:
    """x: [B, H, W, C] in [-1, 1], z: [B, latent] -> DOutput(logits [B], features [B, F])."""
    sn = lambda layer: maybe_spectral_norm(layer, enabled=self.spectral_norm, train=train)
    dense = lambda n, name: sn(self.layers.dense(n, kernel_init=INIT, dtype=self.dtype, name=name))
    hx = DCGANTrunk(self.features, self.dropout_rate, self.spectral_norm, self.dtype, self.layers,
                    name="trunk")(x, train=train)
    hx = hx.reshape(hx.shape[0], -1)
    hz = nn.leaky_relu(dense(self.z_features, "z_dense")(z.astype(self.dtype)), 0.2)
    features = jnp.concatenate([hx, hz.astype(hx.dtype)], axis=-1)
    h = nn.leaky_relu(dense(self.hidden, "joint_dense")(features), 0.2)
    if self.dropout_rate:
      h = self.layers.dropout(self.dropout_rate, deterministic=not train)(h)
    logits = dense(1, "logits")(h)
    return DOutput(logits=logits[:, 0].astype(jnp.float32), features=features.astype(jnp.float32))
