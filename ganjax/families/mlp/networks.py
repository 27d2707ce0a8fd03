"""Fully connected GAN (the seed's "FCGAN"), also the G and D of the 2-D toy mixtures.

Seed defaults: G: Dense 100 SELU, Dense 150 SELU, Dense H*W*C; D: Dense 150 SELU, Dense 100 SELU,
Dense 1; latent size 30.
"""

from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.minibatch import MinibatchHead
from ganjax.nn.spectral_norm import maybe_spectral_norm

ACTIVATIONS = {"selu": nn.selu, "relu": nn.relu, "leaky_relu": lambda x: nn.leaky_relu(x, 0.2),
                "tanh": jnp.tanh, "none": lambda x: x}


class MLPGenerator(nn.Module):
  out_shape: Sequence[int]  # e.g. (28, 28, 1) for images or (2,) for toy points
  hidden: Sequence[int] = (100, 150)
  activation: str = "selu"
  output_activation: str = "tanh"  # tanh for images in [-1, 1]; "none" for unbounded data
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """z: [B, latent] -> samples [B, *out_shape] float32."""
    del train  # no train-dependent layers
    x = z.astype(self.dtype)
    for f in self.hidden:
      x = ACTIVATIONS[self.activation](self.layers.dense(f, dtype=self.dtype)(x))
    x = self.layers.dense(math.prod(self.out_shape), dtype=self.dtype)(x)
    x = ACTIVATIONS[self.output_activation](x)
    return x.reshape(z.shape[0], *self.out_shape).astype(jnp.float32)


class MLPDiscriminator(nn.Module):
  hidden: Sequence[int] = (150, 100)
  activation: str = "selu"
  spectral_norm: bool = False  # every kernel spectrally normalised (ganjax/nn/spectral_norm.py)
  dtype: jnp.dtype = jnp.float32
  # Cross-example layers before the output (ganjax/nn/minibatch.py); 0 = off.
  minibatch_stddev_group: int = 0
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    """x: [B, ...] -> DOutput(logits [B], features: the last hidden layer [B, F]) float32."""
    sn = lambda layer: maybe_spectral_norm(layer, enabled=self.spectral_norm, train=train)
    x = x.reshape(x.shape[0], -1).astype(self.dtype)
    for f in self.hidden:
      x = ACTIVATIONS[self.activation](sn(self.layers.dense(f, dtype=self.dtype))(x))
    features = x.astype(jnp.float32)
    x = MinibatchHead(self.minibatch_stddev_group, self.minibatch_kernels,
                      self.minibatch_kernel_dim, self.dtype)(x)
    logits = sn(self.layers.dense(1, dtype=self.dtype))(x)[:, 0].astype(jnp.float32)
    return DOutput(logits=logits, features=features)
