"""Layers that feed a class label into a network.

ConditionalBatchNorm (de Vries et al. 2017; Miyato & Koyama 2018; BigGAN): batch normalisation
whose gain and bias depend on the class, y = BN(x) * (1 + gamma[label]) + beta[label], with the
per-class gamma and beta starting at zero (so the layer starts as the plain BatchNorm it wraps,
whose own scale and bias are shared by all classes).

VectorConditionalBatchNorm (BigGAN's "ccbn", Brock et al. 2019): the same with the gain and bias
linear in a per-example conditioning vector c [B, D] (BigGAN: the shared class embedding
concatenated with that block's chunk of z), y = BN(x) * (1 + c W_gain) + c W_bias, the two
projections without bias and optionally spectrally normalised. They start orthogonal as BigGAN's
(whose default G init is orthogonal), not at zero: a zero kernel's power iteration stays at
u = 0 and spectral norm would never act. BigGAN's ccbn normalises without an affine of its own;
this one keeps the layer set's BatchNorm and its shared scale and bias (starting at 1 and 0), so
it starts as BigGAN's does and the two have the same family of functions.

label_planes: a label as one-hot constant feature planes concatenated to an image
(conditional GAN's discriminator input, Mirza & Osindero 2014).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm


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
    h = _batch_norm(self, x, train)
    gamma = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name="gamma")(labels)
    beta = nn.Embed(self.num_classes, c, embedding_init=nn.initializers.zeros, name="beta")(labels)
    return _modulate(h, gamma, beta).astype(self.dtype)


class VectorConditionalBatchNorm(nn.Module):
  momentum: float = 0.99
  epsilon: float = 1e-3
  axis_name: str | None = None
  spectral_norm: bool = False  # BigGAN normalises the gain and bias projections
  kernel_init: nn.initializers.Initializer = nn.initializers.orthogonal()
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, cond: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, ..., C], cond: [B, D] float -> [B, ..., C]."""
    c = x.shape[-1]
    h = _batch_norm(self, x, train)
    project = lambda name: maybe_spectral_norm(
        self.layers.dense(c, kernel_init=self.kernel_init, use_bias=False, dtype=self.dtype,
                          name=name), enabled=self.spectral_norm, train=train)
    cond = cond.astype(self.dtype)
    return _modulate(h, project("gain")(cond), project("bias")(cond)).astype(self.dtype)


def _batch_norm(module: nn.Module, x: jax.Array, train: bool) -> jax.Array:
  """The layer set's BatchNorm with `module`'s momentum, epsilon, axis name and dtype (statistics
  over the global batch under shard_map in train mode, running averages in eval mode)."""
  return module.layers.batch_norm(use_running_average=not train, momentum=module.momentum,
                                  epsilon=module.epsilon,
                                  axis_name=module.axis_name if train else None,
                                  dtype=module.dtype)(x)


def _modulate(h: jax.Array, gamma: jax.Array, beta: jax.Array) -> jax.Array:
  """h [B, ..., C] * (1 + gamma [B, C]) + beta [B, C], the per-example gain and bias broadcast."""
  shape = (h.shape[0],) + (1,) * (h.ndim - 2) + (h.shape[-1],)
  return h * (1.0 + gamma.reshape(shape)) + beta.reshape(shape)


def label_planes(x: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """x: [B, H, W, C], labels: [B] int -> [B, H, W, C + num_classes] (one-hot planes appended)."""
  onehot = jax.nn.one_hot(labels, num_classes, dtype=x.dtype)
  planes = jnp.broadcast_to(onehot[:, None, None, :], (*x.shape[:3], num_classes))
  return jnp.concatenate([x, planes], axis=-1)
