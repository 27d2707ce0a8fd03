"""DCGAN of the seed document (Geron, Hands-On ML, ch. 17), generalised to any H = W = 4k.

Generator:     z [B, latent] -> Dense(H/4 * W/4 * 128) -> reshape -> BatchNorm
               -> ConvTranspose(64, k5, s2) SELU -> BatchNorm -> ConvTranspose(C, k5, s2) tanh
               -> images [B, H, W, C] in [-1, 1].
Discriminator: images [B, H, W, C] -> Conv(64, k5, s2) LeakyReLU(0.2) -> Dropout(0.4)
               -> Conv(128, k5, s2) LeakyReLU(0.2) -> Dropout(0.4) -> Dense(1) -> logits [B].
Kernels use Glorot-uniform and BatchNorm Keras' momentum/epsilon, matching the seed's Keras model.
"""

from __future__ import annotations

import functools
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.models.channel_stats import BatchNorm
from ganjax.models.conv import Conv
from ganjax.models.dropout import Dropout
from ganjax.models.spectral_norm import maybe_spectral_norm
from ganjax.models.layers import MinibatchHead, VirtualBatchNorm, reference_latents
from ganjax.models.upsample import SubpixelConvTranspose

_INIT = nn.initializers.xavier_uniform()


class DCGANGenerator(nn.Module):
  image_shape: Sequence[int]  # (H, W, C), H and W divisible by 4
  base_features: int = 128
  mid_features: int = 64
  # "subpixel": the transposed convolutions as conv + depth-to-space (same parameters and outputs,
  # faster on XLA:CPU; ganjax/models/upsample.py); "conv_transpose": flax's nn.ConvTranspose.
  upsample: str = "subpixel"
  axis_name: str | None = None  # set under shard_map: BatchNorm statistics over the global batch
  dtype: jnp.dtype = jnp.float32
  # "batch": BatchNorm; "virtual_batch": VirtualBatchNorm against `vbn_reference_size` fixed
  # reference latents run through G with every batch (ganjax/models/layers.py).
  norm: str = "batch"
  vbn_reference_size: int = 32
  # "onednn": the many-channel transposed convolution as oneDNN's (ganjax/kernels/onednn.py).
  conv_kernels: str = "xla"

  @nn.compact
  def __call__(self, z: jax.Array, *, train: bool) -> jax.Array:
    """z: [B, latent] -> images [B, H, W, C] float in [-1, 1]."""
    h, w, c = self.image_shape
    n_ref = self.vbn_reference_size if self.norm == "virtual_batch" else 0
    if n_ref:
      z = jnp.concatenate([reference_latents(self, n_ref, z.shape[-1]).astype(z.dtype), z])
      norm = lambda: VirtualBatchNorm(n_ref, epsilon=1e-3, dtype=self.dtype)
    else:
      norm = lambda: BatchNorm(use_running_average=not train, momentum=0.99, epsilon=1e-3,
                                  axis_name=self.axis_name if train else None, dtype=self.dtype)
    x = nn.Dense(h // 4 * w // 4 * self.base_features, kernel_init=_INIT, dtype=self.dtype)(z)
    x = x.reshape(z.shape[0], h // 4, w // 4, self.base_features)
    x = norm()(x)
    x = nn.selu(self._up(self.mid_features, "up_0")(x))
    x = norm()(x)
    x = self._up(c, "up_1")(x)
    return jnp.tanh(x[n_ref:]).astype(jnp.float32)

  def _up(self, features: int, name: str) -> nn.Module:
    """A k5 s2 "SAME" transposed convolution; both variants share parameter names and shapes."""
    if self.upsample == "subpixel":
      return SubpixelConvTranspose(features, (5, 5), (2, 2), kernel_init=_INIT, dtype=self.dtype,
                                   kernels=self.conv_kernels, name=name)
    return nn.ConvTranspose(features, (5, 5), (2, 2), padding="SAME", kernel_init=_INIT,
                            dtype=self.dtype, name=name)


class DCGANDiscriminator(nn.Module):
  features: Sequence[int] = (64, 128)
  dropout_rate: float = 0.4
  spectral_norm: bool = False  # every kernel spectrally normalised (ganjax/models/spectral_norm.py)
  dtype: jnp.dtype = jnp.float32
  # Cross-example layers before the output (ganjax/models/layers.py); 0 = off.
  minibatch_stddev_group: int = 0
  minibatch_kernels: int = 0
  minibatch_kernel_dim: int = 5
  # "subpixel": convolutions whose input gradient is computed as a sub-pixel transposed
  # convolution (ganjax/models/conv.py; same values, faster on XLA:CPU); "xla": nn.Conv.
  conv_grad: str = "subpixel"
  # "onednn": the many-channel convolutions as oneDNN's (ganjax/kernels/onednn.py).
  conv_kernels: str = "xla"

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C] float in [-1, 1] -> logits [B] float32.

    Sows the flattened last conv features [B, F] as intermediates["features"] (feature matching).
    """
    sn = lambda layer: maybe_spectral_norm(layer, enabled=self.spectral_norm, train=train)
    x = x.astype(self.dtype)
    if self.conv_grad == "subpixel":
      conv = functools.partial(Conv, kernels=self.conv_kernels)
    else:
      conv = nn.Conv
    for i, f in enumerate(self.features):
      x = sn(conv(f, (5, 5), (2, 2), padding="SAME", kernel_init=_INIT, dtype=self.dtype,
                  name=f"Conv_{i}"))(x)
      x = nn.leaky_relu(x, 0.2)
      x = Dropout(self.dropout_rate, deterministic=not train)(x)
    self.sow("intermediates", "features", x.reshape(x.shape[0], -1))
    x = MinibatchHead(self.minibatch_stddev_group, self.minibatch_kernels,
                      self.minibatch_kernel_dim, self.dtype)(x)
    return sn(nn.Dense(1, kernel_init=_INIT, dtype=self.dtype))(x)[:, 0].astype(jnp.float32)
