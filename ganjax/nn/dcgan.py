"""DCGAN's networks that several families build on (Radford et al. 2016, as the seed document
has them: Geron, Hands-On ML, ch. 17), generalised to any H = W = 4k; kernels Glorot-uniform and
BatchNorm with Keras' momentum/epsilon, matching the seed's Keras model. Layers come from the
injected set `layers` (ganjax/nn/layers.py).

DCGANGenerator:  z [B, latent] -> Dense(H/4 * W/4 * 128) -> reshape -> BatchNorm
                 -> ConvTranspose(64, k5, s2) SELU -> BatchNorm -> ConvTranspose(C, k5, s2) tanh
                 -> images [B, H, W, C] in [-1, 1]  (dcgan, the conditional GANs, InfoGAN, BiGAN;
                 the VAE's decoder without its tanh).
DCGANTrunk:      images [B, H, W, C] -> Conv(64, k5, s2) LeakyReLU(0.2) -> Dropout(0.4)
                 -> Conv(128, k5, s2) LeakyReLU(0.2) -> Dropout(0.4) -> features [B, H/4, W/4, 128]
                 (the discriminators' convolutions; BiGAN's and the VAE's encoders).
HeadedDiscriminator: the trunk with the heads class-aware GANs put on it (ganjax/nn/heads.py):
  label_input "none":       D(x)     (ACGAN with class_head, InfoGAN with q_head)
  label_input "planes":     D(x, y)  one-hot label planes appended to the image (conditional GAN)
  label_input "projection": D(x, y)  logits = psi(phi(x)) + <V[y], phi(x)> (projection D)
  x: [B, H, W, C] float in [-1, 1]; y: [B] int32 in [0, num_classes) -> DOutput(logits [B],
  features [B, F], class_logits [B, K] with class_head, projection [B], q with q_head).
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.conditional import ConditionalBatchNorm, label_planes
from ganjax.nn.heads import ClassHead, ProjectionHead, QHead
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.minibatch import VirtualBatchNorm, reference_latents
from ganjax.nn.spectral_norm import maybe_spectral_norm

LABEL_INPUTS = ("none", "planes", "projection")  # HeadedDiscriminator.label_input
INIT = nn.initializers.xavier_uniform()


class DCGANGenerator(nn.Module):
  image_shape: Sequence[int]  # (H, W, C), H and W divisible by 4
  base_features: int = 128
  mid_features: int = 64
  axis_name: str | None = None  # set under shard_map: BatchNorm statistics over the global batch
  dtype: jnp.dtype = jnp.float32
  # "batch": BatchNorm; "virtual_batch": VirtualBatchNorm against `vbn_reference_size` fixed
  # reference latents run through G with every batch (ganjax/nn/minibatch.py).
  norm: str = "batch"
  vbn_reference_size: int = 32
  # "tanh": images in [-1, 1]; "none": the pre-activations (a VAE decoder's likelihood reads them).
  output_activation: str = "tanh"
  # Class conditioning (num_classes > 0, G called as G(z, labels)): "concat" appends a learned
  # label embedding of `label_embed_dim` to z (conditional GAN, ACGAN); "batch_norm" makes every
  # BatchNorm class-conditional (ganjax/nn/conditional.py; projection discriminator's G).
  num_classes: int = 0
  conditioning: str = "concat"
  label_embed_dim: int = 16
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, z: jax.Array, labels: jax.Array | None = None, *, train: bool) -> jax.Array:
    """z: [B, latent], labels: [B] int32 (class-conditional G only) -> images [B, H, W, C]
    float32, in [-1, 1] with tanh."""
    h, w, c = self.image_shape
    n_ref = self.vbn_reference_size if self.norm == "virtual_batch" else 0
    if n_ref:
      z = jnp.concatenate([reference_latents(self, n_ref, z.shape[-1]).astype(z.dtype), z])
      norm = lambda: VirtualBatchNorm(n_ref, epsilon=1e-3, dtype=self.dtype)
    elif self.num_classes and self.conditioning == "batch_norm":
      cbn = lambda: ConditionalBatchNorm(self.num_classes, 0.99, 1e-3, self.axis_name, self.dtype,
                                         self.layers)
      norm = lambda: (lambda x: cbn()(x, labels, train=train))
    else:
      norm = lambda: self.layers.batch_norm(
          use_running_average=not train, momentum=0.99, epsilon=1e-3,
          axis_name=self.axis_name if train else None, dtype=self.dtype)
    if self.num_classes and self.conditioning == "concat":
      embed = nn.Embed(self.num_classes, self.label_embed_dim, name="label_embed")(labels)
      z = jnp.concatenate([z, embed.astype(z.dtype)], axis=-1)
    x = self.layers.dense(h // 4 * w // 4 * self.base_features, kernel_init=INIT, dtype=self.dtype)(z)
    x = x.reshape(z.shape[0], h // 4, w // 4, self.base_features)
    x = norm()(x)
    x = nn.selu(self._up(self.mid_features, "up_0")(x))
    x = norm()(x)
    x = self._up(c, "up_1")(x)[n_ref:]
    return (jnp.tanh(x) if self.output_activation == "tanh" else x).astype(jnp.float32)

  def _up(self, features: int, name: str) -> nn.Module:
    """A k5 s2 "SAME" transposed convolution."""
    return self.layers.conv_transpose(features, (5, 5), (2, 2), padding="SAME", kernel_init=INIT,
                                      dtype=self.dtype, name=name)


class DCGANTrunk(nn.Module):
  """The discriminator's convolutions: images [B, H, W, C] in [-1, 1] -> [B, H', W', F] features.
  Shared by the discriminator and the VAE's encoder."""
  features: Sequence[int] = (64, 128)
  dropout_rate: float = 0.4
  spectral_norm: bool = False  # every kernel spectrally normalised (ganjax/nn/spectral_norm.py)
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    sn = lambda layer: maybe_spectral_norm(layer, enabled=self.spectral_norm, train=train)
    x = x.astype(self.dtype)
    for i, f in enumerate(self.features):
      x = sn(self.layers.conv(f, (5, 5), (2, 2), padding="SAME", kernel_init=INIT,
                              dtype=self.dtype, name=f"Conv_{i}"))(x)
      x = nn.leaky_relu(x, 0.2)
      if self.dropout_rate:
        x = self.layers.dropout(self.dropout_rate, deterministic=not train)(x)
    return x


class HeadedDiscriminator(nn.Module):
  num_classes: int = 0
  label_input: str = "none"
  class_head: bool = False
  q_head: QHead | None = None  # InfoGAN's Q head (its categorical / continuous sizes)
  features: Sequence[int] = (64, 128)
  dropout_rate: float = 0.4
  spectral_norm: bool = False
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, labels: jax.Array | None = None, *, train: bool) -> DOutput:
    if self.label_input == "planes":
      x = label_planes(x.astype(self.dtype), labels, self.num_classes)
    h = DCGANTrunk(self.features, self.dropout_rate, self.spectral_norm, self.dtype, self.layers,
                   name="trunk")(x, train=train)
    features = h.reshape(h.shape[0], -1)
    dense = self.layers.dense(1, kernel_init=INIT, dtype=self.dtype, name="Dense_0")
    logits = maybe_spectral_norm(dense, enabled=self.spectral_norm, train=train)(features)
    logits = logits[:, 0].astype(jnp.float32)
    projection = class_logits = q = None
    if self.label_input == "projection":
      projection = ProjectionHead(self.num_classes, self.spectral_norm, name="projection")(
          features, labels, train=train)
      logits = logits + projection
    if self.class_head:
      class_logits = ClassHead(self.num_classes, self.spectral_norm, self.dtype, self.layers,
                               name="class_head")(features, train=train).astype(jnp.float32)
    if self.q_head is not None:
      q = self.q_head(features, train=train)  # a module field: bound as the child "q_head"
    return DOutput(logits=logits, features=features.astype(jnp.float32),
                   class_logits=class_logits, projection=projection, q=q)
