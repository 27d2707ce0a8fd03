"""StyleGAN2's generator and discriminator (Karras et al. 2020), after the official StyleGAN2-ADA
code (NVlabs/stylegan2-ada-pytorch, training/networks.py), for square images of any power-of-two
size R >= 8. Layers: ganjax/nn/stylegan_layers.py.

Generator G(z, z2, cutoff, noise):
  mapping     z [B, z_dim] -> normalize_2nd_moment -> `mapping_layers` x EqualDense(w_dim, lrelu,
              lr_multiplier 0.01) -> w [B, w_dim], broadcast to ws [B, num_ws, w_dim]
  mixing      (train mode) ws[:, l] = map(z)[:, l] for l < cutoff, map(z2)[:, l] after
  truncation  (keyword `truncation` = psi) ws = w_avg + psi (ws - w_avg)
  synthesis   learned constant [4, 4, C4] -> per resolution 4, 8, ..., R: (up)conv with
              modulation, noise, bias, lrelu; the 4x4 block has one conv, the others two (the
              first upsamples); toRGB at each resolution, the image so far upsampled
              (`upsample_2x`) and summed ("skip" generator) -> images [B, R, R, C] float32,
              about [-1, 1] (no tanh, as the reference; ganjax.images.to_uint8 clips).
num_ws = 2 log2(R) - 2: each conv takes one w, toRGB takes the next block's first w (the
reference's ws layout), the last toRGB one more. Noise: one flat per-sample vector [B, noise_dim]
(the prior draws it), sliced in layer order into [B, res, res] images, noise_dim = sum over the
convolutions of res^2 (`noise_dim`).

State: collection "stylegan2" holds `w_avg` [w_dim] (EMA of mapped w, beta `w_avg_beta`, advanced
by every train-mode `map` of the first latent, averaged over devices under shard_map) and
`pl_mean` (the path-length regularizer's running mean; written by the objective's path-length
phase, ganjax/families/stylegan2/objective.py).

Discriminator D(x): "resnet" architecture. fromRGB (1x1 conv, lrelu) at R, then per resolution
R, R/2, ..., 8 a residual block: conv 3x3 -> conv 3x3 down (x 1/sqrt(2)) plus a skip 1x1 down
without bias (x 1/sqrt(2)); at 4x4 the epilogue: minibatch stddev (group `mbstd_group`, 1
feature; ganjax/nn/minibatch.py), conv 3x3, dense(C4), dense(1) -> DOutput(logits [B]).

Module methods for inspection through `Networks.apply(..., method=...)` (every one takes `train`):
  map(z, *, train, truncation=None) -> ws [B, num_ws, w_dim]           (no mixing)
  mixed_ws(z, z2, cutoff, *, train, truncation=None) -> ws             (mixing in train mode)
  synthesize(ws, noise, *, train) -> images [B, R, R, C]
e.g. PPL in W: interpolate two map() outputs and synthesize; a style-mixing grid: take ws rows
from two map() outputs and synthesize with fixed noise.
"""

from __future__ import annotations

import math
from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.minibatch import minibatch_stddev
from ganjax.nn.stylegan_layers import (EqualConv, EqualDense, ModulatedConv, NoiseInjection, ToRGB,
                                       lrelu, normalize_2nd_moment, upsample_2x)

STATS = "stylegan2"  # the generator's non-parameter collection: w_avg, pl_mean
SKIP_GAIN = math.sqrt(0.5)


def resolutions(size: int) -> list[int]:
  """[4, 8, ..., size] for a power-of-two size >= 8."""
  return [2 ** i for i in range(2, int(math.log2(size)) + 1)]


def num_ws(size: int) -> int:
  """The number of w vectors the synthesis network of `size` reads: 2 log2(size) - 2."""
  return 2 * int(math.log2(size)) - 2


def conv_resolutions(size: int) -> list[int]:
  """The output resolution of every modulated 3x3 convolution, in order (noise inputs)."""
  return [4] + [r for r in resolutions(size)[1:] for _ in range(2)]


def noise_dim(size: int) -> int:
  """Length of the flat per-sample noise vector: one res x res image per convolution."""
  return sum(r * r for r in conv_resolutions(size))


def channels_at(res: int, channel_base: int, channel_max: int) -> int:
  """The reference's channel rule: min(channel_base // res, channel_max)."""
  return min(channel_base // res, channel_max)


def mix(ws: jax.Array, ws2: jax.Array, cutoff: jax.Array) -> jax.Array:
  """ws [B, L, D] for layers l < cutoff[b], ws2 from there on (cutoff [B] int; L: no mixing)."""
  first = jnp.arange(ws.shape[1])[None, :, None] < cutoff[:, None, None]
  return jnp.where(first, ws, ws2)


class SynthesisLayer(nn.Module):
  """(x [B, h, w, I], w [B, w_dim], noise [B, H, W]) -> lrelu(modconv(x, affine(w)) + noise
  strength * noise + bias) [B, H, W, features]; H = 2h with `up`."""
  features: int
  up: bool = False
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x, w, noise):
    styles = EqualDense(x.shape[-1], bias_init=1.0, layers=self.layers, name="affine")(w)
    x = ModulatedConv(self.features, 3, up=self.up, layers=self.layers, dtype=self.dtype,
                      name="modconv")(x, styles)
    x = NoiseInjection(name="noise")(x, noise)
    return lrelu(x + self.param("bias", nn.initializers.zeros, (self.features,)))


class StyleGAN2Generator(nn.Module):
  """See the module docstring. image_shape (R, R, C); channels per resolution res:
  min(channel_base // res, channel_max)."""
  image_shape: Sequence[int]
  z_dim: int = 512
  w_dim: int = 512
  mapping_layers: int = 2
  mapping_lr_multiplier: float = 0.01
  channel_base: int = 32768
  channel_max: int = 512
  w_avg_beta: float = 0.995
  axis_name: str | None = None  # shard_map axis: w_avg from the global batch mean
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  def setup(self):
    size, channels = self.image_shape[0], self.image_shape[2]
    self.mapping = [EqualDense(self.w_dim, lr_multiplier=self.mapping_lr_multiplier,
                               activation="lrelu", layers=self.layers, name=f"mapping_{i}")
                    for i in range(self.mapping_layers)]
    ch = lambda r: channels_at(r, self.channel_base, self.channel_max)
    self.const = self.param("const", nn.initializers.normal(1.0), (4, 4, ch(4)))
    convs, rgbs = [], []
    for r in resolutions(size):
      if r > 4:
        convs.append(SynthesisLayer(ch(r), up=True, layers=self.layers, dtype=self.dtype,
                                    name=f"b{r}_conv0"))
      convs.append(SynthesisLayer(ch(r), layers=self.layers, dtype=self.dtype, name=f"b{r}_conv1"))
      rgbs.append(ToRGB(channels, layers=self.layers, dtype=self.dtype, name=f"b{r}_torgb"))
    self.convs, self.rgbs = convs, rgbs
    self.w_avg = self.variable(STATS, "w_avg", jnp.zeros, (self.w_dim,), jnp.float32)
    self.pl_mean = self.variable(STATS, "pl_mean", jnp.zeros, (), jnp.float32)

  def __call__(self, z, z2, cutoff, noise, *, train: bool, truncation=None) -> jax.Array:
    """z, z2: [B, z_dim]; cutoff: [B] int32 in [1, num_ws] (num_ws: no mixing; read in train
    mode only, so samples are never mixed); noise: [B, noise_dim]; truncation: psi (None or 1:
    unchanged, 0: every sample at w_avg) -> images [B, R, R, C] float32."""
    return self.synthesize(self.mixed_ws(z, z2, cutoff, train=train, truncation=truncation),
                           noise, train=train)

  def map(self, z, *, train: bool, truncation=None, update_avg: bool = True) -> jax.Array:
    """z [B, z_dim] -> ws [B, num_ws, w_dim]; in train mode (and `update_avg`) w_avg moves
    toward the batch mean of w: w_avg <- mean + beta (w_avg - mean)."""
    x = normalize_2nd_moment(z.astype(jnp.float32))
    for layer in self.mapping:
      x = layer(x)
    if train and update_avg and not self.is_initializing():
      mean = jnp.mean(jax.lax.stop_gradient(x), axis=0)
      if self.axis_name is not None:
        mean = jax.lax.pmean(mean, self.axis_name)
      self.w_avg.value = mean + self.w_avg_beta * (self.w_avg.value - mean)
    ws = jnp.broadcast_to(x[:, None], (x.shape[0], num_ws(self.image_shape[0]), x.shape[-1]))
    return self.truncate(ws, truncation)

  def truncate(self, ws, truncation):
    """w_avg + psi (ws - w_avg); ws itself for psi None or a Python 1."""
    if truncation is None or (isinstance(truncation, (int, float)) and truncation == 1):
      return ws
    return self.w_avg.value + jnp.asarray(truncation, ws.dtype) * (ws - self.w_avg.value)

  def mixed_ws(self, z, z2, cutoff, *, train: bool, truncation=None) -> jax.Array:
    """ws of z, with layers from cutoff on taken from z2 in train mode (style mixing
    regularization; z2's mapping does not move w_avg, as in the reference); then truncation."""
    ws = self.map(z, train=train)
    if train:
      ws = mix(ws, self.map(z2, train=train, update_avg=False), cutoff)
    return self.truncate(ws, truncation)

  def synthesize(self, ws, noise, *, train: bool) -> jax.Array:
    """ws [B, num_ws, w_dim], noise [B, noise_dim] -> images [B, R, R, C] float32."""
    del train  # same function in both modes
    size = self.image_shape[0]
    noises, offset = [], 0
    for r in conv_resolutions(size):
      noises.append(noise[:, offset:offset + r * r].reshape(-1, r, r))
      offset += r * r
    x = jnp.broadcast_to(self.const, (ws.shape[0], *self.const.shape)).astype(self.dtype)
    img, c = None, 0
    for i, rgb in enumerate(self.rgbs):
      # Block i reads ws[2i - 1] (upsampling conv), ws[2i] (conv), ws[2i + 1] (toRGB); block 0
      # has no upsampling conv.
      for j in ((0,) if i == 0 else (2 * i - 1, 2 * i)):
        x = self.convs[c](x, ws[:, j], noises[c])
        c += 1
      y = rgb(x, ws[:, 2 * i + 1]).astype(jnp.float32)
      img = y if img is None else upsample_2x(img) + y
    return img


class StyleGAN2Discriminator(nn.Module):
  """See the module docstring. images [B, R, R, C] -> DOutput(logits [B], features [B, F])."""
  image_size: int
  channel_base: int = 32768
  channel_max: int = 512
  mbstd_group: int = 4  # 0: no minibatch stddev layer
  layers: Layers = PLAIN
  dtype: jnp.dtype = jnp.float32

  @property
  def mixes_examples(self) -> bool:
    """Minibatch stddev mixes examples: the objective sends real and fake as separate batches."""
    return self.mbstd_group > 0

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    del train
    ch = lambda r: channels_at(r, self.channel_base, self.channel_max)
    conv = lambda f, k, name, **kw: EqualConv(f, k, layers=self.layers, dtype=self.dtype,
                                              name=name, **kw)
    x = conv(ch(self.image_size), 1, "fromrgb")(x.astype(self.dtype))
    for r in reversed(resolutions(self.image_size)[1:]):
      skip = conv(ch(r // 2), 1, f"b{r}_skip", down=True, use_bias=False, activation="linear",
                  gain=SKIP_GAIN)(x)
      x = conv(ch(r), 3, f"b{r}_conv0")(x)
      x = conv(ch(r // 2), 3, f"b{r}_conv1", down=True, gain=SKIP_GAIN)(x)
      x = x + skip
    if self.mbstd_group:
      x = minibatch_stddev(x, self.mbstd_group)
    x = conv(ch(4), 3, "b4_conv")(x)
    features = x.reshape(x.shape[0], -1)
    x = EqualDense(ch(4), activation="lrelu", layers=self.layers, name="b4_fc")(features)
    logits = EqualDense(1, layers=self.layers, name="b4_out")(x)
    return DOutput(logits=logits[:, 0].astype(jnp.float32), features=features.astype(jnp.float32))
