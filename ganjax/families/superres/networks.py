"""The super-resolution networks: SRResNet (Ledig et al. 2017, Fig. 4), ESRGAN's RRDB generator
(Wang et al. 2018, Fig. 3-4), the VGG-style critic (Ledig et al. 2017, Fig. 4), and the content
network that reads the shipped Fashion-MNIST classifier's convolutions.

Generators: lr [B, h, w, C] float32 in [-1, 1] -> [B, scale*h, scale*w, C] float32, unbounded
(trained towards the HR image in [-1, 1]; the sampler clips to [-1, 1]). scale = 2^upsamplers.

  SRResNet   conv 9x9 -> PReLU -> B x [conv 3x3 - BN - PReLU - conv 3x3 - BN, + skip]
             -> conv 3x3 - BN, + the head's output (global skip)
             -> upsamplers x [conv 3x3 to 4F - pixel shuffle x2 - PReLU] -> conv 9x9 to C
  RRDBNet    conv 3x3 -> B x RRDB -> conv 3x3, + the head's output
             -> upsamplers x [nearest x2 - conv 3x3 - LeakyReLU 0.2] -> conv 3x3 - LReLU - conv 3x3
             RRDB = 3 dense blocks (5 convs of `growth` channels, each reading all earlier outputs,
             LeakyReLU 0.2), each as x + 0.2 * block(x), and the RRDB as x + 0.2 * (3 blocks)(x);
             no BatchNorm; kaiming-normal weights scaled by 0.1 (Wang et al., Sec. 3.1, 3.4).
Critic: hr-sized images [B, H, W, C] in [-1, 1] -> DOutput(logits [B]):
  for f in features: conv 3x3 stride 1 (f), conv 3x3 stride 2 (f), BN after every conv but the
  first, LeakyReLU 0.2 -> dense `dense` -> LeakyReLU 0.2 -> dense 1 (the paper's 64..512, 1024).
Content network: images [B, H, W, 1] in [-1, 1] -> the shipped classifier's last convolution
  (DomainCNN's Conv_2, [B, H/4, W/4, 64]), before its ReLU with `preactivation` (ESRGAN, Sec. 3.3)
  or after it (SRGAN's phi_{i,j}: after the activation), same parameter names as DomainCNN so the
  shipped weights load unchanged.
"""

from __future__ import annotations

from typing import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.patchgan import normalization

# PReLU's initial slope: PyTorch's nn.PReLU default (the SRGAN ports'); flax's is 0.01.
PRELU_INIT = 0.25
# ESRGAN's "smaller initialization": kaiming normal (fan_in, gain 2) scaled by 0.1 (variance 0.01x).
SMALL_INIT = nn.initializers.variance_scaling(2.0 * 0.1 ** 2, "fan_in", "normal")


class SRResNet(nn.Module):
  channels: int = 1
  features: int = 64
  blocks: int = 16
  upsamplers: int = 2
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, lr: jax.Array, *, train: bool) -> jax.Array:
    """lr [B, h, w, C] in [-1, 1] -> [B, 2^upsamplers h, 2^upsamplers w, channels] float32."""
    conv = lambda f, k, name, bias=True: self.layers.conv(f, (k, k), use_bias=bias, dtype=self.dtype,
                                                          name=name)
    bn = lambda: normalization("batch", train=train, axis_name=self.axis_name, dtype=self.dtype)
    prelu = lambda name: nn.PReLU(negative_slope_init=PRELU_INIT, name=name)
    head = prelu("head_prelu")(conv(self.features, 9, "head")(lr.astype(self.dtype)))
    x = head
    for i in range(self.blocks):
      y = prelu(f"block{i}_prelu")(bn()(conv(self.features, 3, f"block{i}_conv0", False)(x)))
      x = x + bn()(conv(self.features, 3, f"block{i}_conv1", False)(y))
    x = head + bn()(conv(self.features, 3, "trunk", False)(x))
    for i in range(self.upsamplers):
      x = self.layers.pixel_shuffle(conv(4 * self.features, 3, f"up{i}")(x), 2)
      x = prelu(f"up{i}_prelu")(x)
    return conv(self.channels, 9, "tail")(x).astype(jnp.float32)


class DenseBlock(nn.Module):
  """x [B, h, w, F] -> x + 0.2 * (5 densely connected 3x3 convs)(x)."""
  features: int = 64
  growth: int = 32
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x):
    seen = [x]
    for i in range(4):
      h = self.layers.conv(self.growth, (3, 3), kernel_init=SMALL_INIT, dtype=self.dtype,
                           name=f"conv{i}")(jnp.concatenate(seen, -1))
      seen.append(nn.leaky_relu(h, 0.2))
    out = self.layers.conv(self.features, (3, 3), kernel_init=SMALL_INIT, dtype=self.dtype,
                           name="conv4")(jnp.concatenate(seen, -1))
    return x + 0.2 * out


class RRDBNet(nn.Module):
  channels: int = 1
  features: int = 64
  growth: int = 32
  blocks: int = 23
  upsamplers: int = 2
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, lr: jax.Array, *, train: bool) -> jax.Array:
    """lr [B, h, w, C] in [-1, 1] -> [B, 2^upsamplers h, 2^upsamplers w, channels] float32."""
    del train  # no BatchNorm, no dropout
    conv = lambda f, name: self.layers.conv(f, (3, 3), kernel_init=SMALL_INIT, dtype=self.dtype,
                                            name=name)
    head = conv(self.features, "head")(lr.astype(self.dtype))
    x = head
    for i in range(self.blocks):
      y = x
      for j in range(3):
        y = DenseBlock(self.features, self.growth, self.dtype, self.layers, name=f"rrdb{i}_{j}")(y)
      x = x + 0.2 * y
    x = head + conv(self.features, "trunk")(x)
    for i in range(self.upsamplers):
      b, h, w, f = x.shape
      x = jax.image.resize(x, (b, 2 * h, 2 * w, f), "nearest")
      x = nn.leaky_relu(conv(self.features, f"up{i}")(x), 0.2)
    x = nn.leaky_relu(conv(self.features, "hr")(x), 0.2)
    return conv(self.channels, "tail")(x).astype(jnp.float32)


class VGGCritic(nn.Module):
  features: Sequence[int] = (64, 128, 256, 512)
  dense: int = 1024
  axis_name: str | None = None
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN
  # False for losses blind to a shift of every logit (RaGAN): the bias's gradient is then float
  # rounding alone, which Adam turns into full-size steps (ganjax/nn/layers.py says the same).
  logit_bias: bool = True

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> DOutput:
    """x [B, H, W, C] in [-1, 1] -> DOutput(logits [B] float32)."""
    x = x.astype(self.dtype)
    first = True
    for i, f in enumerate(self.features):
      for j, stride in enumerate((1, 2)):
        x = self.layers.conv(f, (3, 3), (stride, stride), use_bias=first, dtype=self.dtype,
                             name=f"conv{i}_{j}")(x)
        if not first:
          x = normalization("batch", train=train, axis_name=self.axis_name, dtype=self.dtype)(x)
        x, first = nn.leaky_relu(x, 0.2), False
    x = nn.leaky_relu(self.layers.dense(self.dense, dtype=self.dtype, name="dense")(
        x.reshape(x.shape[0], -1)), 0.2)
    logits = self.layers.dense(1, use_bias=self.logit_bias, dtype=self.dtype, name="logit")(x)[:, 0]
    return DOutput(logits=logits.astype(jnp.float32))


class ClassifierFeatures(nn.Module):
  """The shipped DomainCNN's three conv blocks (ganjax/metrics/classifier.py), up to the last
  convolution: images [B, H, W, 1] in [-1, 1] -> features [B, H/4, W/4, widths[-1]] float32."""
  widths: Sequence[int] = (16, 32, 64)
  preactivation: bool = False

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    del train  # frozen, no dropout before this layer
    x = (x.astype(jnp.float32) + 1.0) / 2.0  # the classifier reads [0, 1]
    for i, width in enumerate(self.widths):
      h = nn.Conv(width, (3, 3), name=f"Conv_{i}")(x)
      if i == len(self.widths) - 1:
        return h if self.preactivation else nn.relu(h)
      x = nn.max_pool(nn.relu(h), (2, 2), (2, 2))
    raise ValueError("ClassifierFeatures needs at least one width.")
