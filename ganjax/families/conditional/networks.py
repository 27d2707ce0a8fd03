"""A DCGAN discriminator trunk with the heads class-aware GANs put on it (ganjax/nn/heads.py).

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
from ganjax.families.dcgan.networks import INIT, DCGANTrunk
from ganjax.nn.conditional import label_planes
from ganjax.nn.heads import ClassHead, ProjectionHead, QHead
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm

LABEL_INPUTS = ("none", "planes", "projection")


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
