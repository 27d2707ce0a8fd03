"""Residual blocks of the SNGAN / BigGAN ResNets (Miyato et al. 2018, appendix B; Brock et al.
2019, appendix B), shared by ganjax/families/sngan and ganjax/families/biggan.

GeneratorBlock, x [B, H, W, C_in] -> [B, 2H, 2W, features]:
  main:     norm -> ReLU -> nearest 2x upsample -> 3x3 conv -> norm -> ReLU -> 3x3 conv
  shortcut: nearest 2x upsample -> 1x1 conv
  norm: BatchNorm, or with `conditional` the vector-conditioned BatchNorm of BigGAN
  (ganjax/nn/conditional.py: VectorConditionalBatchNorm) on a per-example vector `cond` [B, D].

DiscriminatorBlock, x [B, H, W, C_in] -> [B, H/2, W/2, features] (H, W with `downsample`):
  main:     ReLU -> 3x3 conv -> ReLU -> 3x3 conv -> 2x2 average pool (with `downsample`)
  shortcut: 1x1 conv then pool, when channels change or the block downsamples; else identity.
  `preactivation=False` is SNGAN's "optimized" first block, which reads the image: no ReLU before
  the first conv (it would clip the image's negative half), and its shortcut pools before the
  1x1 conv (the same linear map, on 4x fewer positions).

The generator block's convs have no biases (the references' have): in a generator whose blocks
are followed by a BatchNorm, every path from such a bias to the image passes a BatchNorm, through
the linear shortcuts, which removes a per-channel constant in train mode, and a bias whose gradient
is rounding noise is one Adam turns into full-size steps (ganjax/nn/layers.py). (A self-attention
block between generator blocks, as BigGAN's, does see such a constant: there leaving the biases
out is a small departure from the reference rather than an exact no-op.) Every conv can be spectrally
normalised (ganjax/nn/spectral_norm.py); layers come from the
injected set. The default initialisers are SNGAN's reference code's: Glorot-uniform with gain
sqrt(2) on the residual convs, gain 1 on the shortcut; BigGAN passes its own.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.conditional import VectorConditionalBatchNorm
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm

# Glorot-uniform with gain g has variance g^2 * 2 / (fan_in + fan_out): variance_scaling(g^2, fan_avg).
RESIDUAL_INIT = nn.initializers.variance_scaling(2.0, "fan_avg", "uniform")
SHORTCUT_INIT = nn.initializers.xavier_uniform()


def upsample_nearest(x: jax.Array) -> jax.Array:
  """[B, H, W, C] -> [B, 2H, 2W, C], each pixel repeated into a 2x2 cell."""
  return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)


def avg_pool2(x: jax.Array) -> jax.Array:
  """[B, H, W, C] -> [B, H/2, W/2, C], the mean of each 2x2 cell (H, W even)."""
  return nn.avg_pool(x, (2, 2), (2, 2))


class GeneratorBlock(nn.Module):
  features: int
  conditional: bool = False  # norms are VectorConditionalBatchNorm on `cond`
  spectral_norm: bool = False
  momentum: float = 0.9  # PyTorch's BatchNorm defaults (momentum 0.1 there), as both references
  epsilon: float = 1e-5
  axis_name: str | None = None
  kernel_init: nn.initializers.Initializer = RESIDUAL_INIT
  shortcut_init: nn.initializers.Initializer = SHORTCUT_INIT
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, cond: jax.Array | None = None, *, train: bool) -> jax.Array:
    """x: [B, H, W, C_in], cond: [B, D] float (conditional only) -> [B, 2H, 2W, features]."""
    if self.conditional and cond is None:
      raise ValueError("a conditional GeneratorBlock needs its conditioning vector `cond` [B, D].")
    conv = lambda k, init, name: maybe_spectral_norm(
        self.layers.conv(self.features, (k, k), padding="SAME", kernel_init=init, use_bias=False,
                         dtype=self.dtype, name=name), enabled=self.spectral_norm, train=train)
    h = nn.relu(self._norm("norm_0", x, cond, train))
    h = conv(3, self.kernel_init, "conv_0")(upsample_nearest(h))
    h = nn.relu(self._norm("norm_1", h, cond, train))
    h = conv(3, self.kernel_init, "conv_1")(h)
    return h + conv(1, self.shortcut_init, "shortcut")(upsample_nearest(x))

  def _norm(self, name: str, x: jax.Array, cond, train: bool) -> jax.Array:
    if self.conditional:
      return VectorConditionalBatchNorm(self.momentum, self.epsilon, self.axis_name,
                                        self.spectral_norm, kernel_init=self.kernel_init,
                                        dtype=self.dtype, layers=self.layers, name=name)(x, cond, train=train)
    return self.layers.batch_norm(use_running_average=not train, momentum=self.momentum,
                                  epsilon=self.epsilon, axis_name=self.axis_name if train else None,
                                  dtype=self.dtype, name=name)(x)


class DiscriminatorBlock(nn.Module):
  features: int
  downsample: bool = True
  preactivation: bool = True  # False: SNGAN's optimized first block (see the module docstring)
  spectral_norm: bool = False
  kernel_init: nn.initializers.Initializer = RESIDUAL_INIT
  shortcut_init: nn.initializers.Initializer = SHORTCUT_INIT
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C_in] -> [B, H', W', features], H' = H/2 with downsample (H even)."""
    conv = lambda k, init, name: maybe_spectral_norm(
        self.layers.conv(self.features, (k, k), padding="SAME", kernel_init=init, dtype=self.dtype,
                         name=name), enabled=self.spectral_norm, train=train)
    pool = avg_pool2 if self.downsample else (lambda t: t)
    x = x.astype(self.dtype)
    h = nn.relu(x) if self.preactivation else x
    h = conv(3, self.kernel_init, "conv_0")(h)
    h = pool(conv(3, self.kernel_init, "conv_1")(nn.relu(h)))
    if x.shape[-1] == self.features and not self.downsample:
      return h + x
    shortcut = conv(1, self.shortcut_init, "shortcut")
    return h + (pool(shortcut(x)) if self.preactivation else shortcut(pool(x)))
