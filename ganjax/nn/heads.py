"""Heads that sit on a discriminator's trunk features and fill the fields of its DOutput
(ganjax/core/outputs.py), so one trunk serves ACGAN, the projection discriminator and InfoGAN.

features: [B, F] float, the trunk's flat features; labels: [B] int32 in [0, num_classes).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm


class ClassHead(nn.Module):
  """ACGAN's auxiliary classifier (Odena et al. 2017): features -> class logits [B, K]."""
  num_classes: int
  spectral_norm: bool = False
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, features: jax.Array, *, train: bool) -> jax.Array:
    dense = self.layers.dense(self.num_classes, dtype=self.dtype, name="classifier")
    return maybe_spectral_norm(dense, enabled=self.spectral_norm, train=train)(features)


class ProjectionHead(nn.Module):
  """The class term of the projection discriminator (Miyato & Koyama 2018): <V[y], features>
  [B], added to the unconditional logits. V: [K, F], spectrally normalised with the rest of D."""
  num_classes: int
  spectral_norm: bool = False

  @nn.compact
  def __call__(self, features: jax.Array, labels: jax.Array, *, train: bool) -> jax.Array:
    embed = nn.Embed(self.num_classes, features.shape[-1], name="embed",
                     embedding_init=nn.initializers.normal(0.02))
    v = maybe_spectral_norm(embed, enabled=self.spectral_norm, train=train)(labels)
    return jnp.sum(v.astype(jnp.float32) * features.astype(jnp.float32), axis=-1)


class QHead(nn.Module):
  """InfoGAN's Q network (Chen et al. 2016) on D's features: one hidden layer (BatchNorm, leaky
  ReLU, as the reference code), then the posterior over the codes:
    {"categorical": logits [B, K], "mean": [B, c], "log_std": [B, c]} (log_std 0 when fixed).
  """
  categorical: int
  continuous: int
  hidden: int = 128
  fix_std: bool = True  # the reference code's choice: Gaussian Q with unit variance
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, features: jax.Array, *, train: bool) -> dict:
    h = self.layers.dense(self.hidden, dtype=self.dtype, name="hidden")(features)
    h = self.layers.batch_norm(use_running_average=not train, momentum=0.99, epsilon=1e-3,
                               axis_name=self.axis_name if train else None, dtype=self.dtype)(h)
    h = nn.leaky_relu(h, 0.1)
    out = {"categorical": self.layers.dense(self.categorical, dtype=self.dtype,
                                            name="categorical")(h).astype(jnp.float32)}
    if self.continuous:
      out["mean"] = self.layers.dense(self.continuous, dtype=self.dtype, name="mean")(h).astype(jnp.float32)
      out["log_std"] = (jnp.zeros_like(out["mean"]) if self.fix_std else
                        self.layers.dense(self.continuous, dtype=self.dtype,
                                          name="log_std")(h).astype(jnp.float32))
    return out
