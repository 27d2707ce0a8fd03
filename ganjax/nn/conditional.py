"""Layers that feed a class label into a network.

ConditionalBatchNorm (de Vries et al. 2017; Miyato & Koyama 2018; BigGAN): batch normalisation
whose gain and bias depend on the class, y = BN(x) * (1 + gamma[label]) + beta[label], with the
per-class gamma and beta starting at zero (so the layer starts as the plain BatchNorm it wraps,
whose own scale and bias are shared by all classes).

label_planes: a label as one-hot constant feature planes concatenated to an image
(conditional GAN's discriminator input, Mirza & Osindero 2014).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers


class ConditionalBatchNorm(nn.Module):
  num_classes: int
  momentum: float = 0.99
  epsilon: float = 1e-3
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, ..., C], labels: [B] int in [0, num_classes) -> [B, ..., C]."""
    c = x.shape[-1]
    h = self.layers.batch_norm(use_running_average=not train, momentum=self.momentum,
                               epsilon=self.epsilon, axis_name=self.axis_name if train else None,
                               dtype=self.dtype)(x)
    gamma = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name="gamma")(labels)
    beta = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name="beta")(labels)
    shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (c,)
    return (h * (1.0 + gamma.reshape(shape)) + beta.reshape(shape)).astype(self.dtype)


def label_planes(x: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """x: [B, H, W, C], labels: [B] int -> [B, H, W, C + num_classes] (one-hot planes appended)."""
  onehot = jax.nn.one_hot(labels, num_classes, dtype=x.dtype)
  planes = jnp.broadcast_to(onehot[:, None, None, :], (*x.shape[:3], num_classes))
  return jnp.concatenate([x, planes], axis=-1)
