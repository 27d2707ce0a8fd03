"""Cross-example layers against mode collapse: minibatch standard deviation, minibatch
discrimination, virtual batch normalization.

All three look at more than one example, so what "the batch" is matters:
- The unconditional objective runs D separately on real and fake when D has a minibatch layer
  (`mixes_examples(D)`), so statistics never mix real with fake samples.
- Under shard_map (config.runtime.parallelism="pmap") a layer sees the per-device batch only: the
  minibatch stddev groups and the minibatch-discrimination neighbours are drawn from the device's
  shard (as in data-parallel StyleGAN, whose groups are per GPU). The stddev group size must divide
  the per-device batch.
- Virtual batch normalization normalizes each example with a fixed reference batch plus itself,
  so it is per-example and device-count independent.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.errors import ConfigError


def minibatch_stddev(x: jax.Array, group_size: int = 4, eps: float = 1e-8) -> jax.Array:
  """Minibatch standard deviation (Karras et al. 2018, ProGAN, Sec. 3), StyleGAN's grouping.

  x: [B, ..., C] -> [B, ..., C + 1]. Groups of G = min(group_size, B) examples i, i + B/G, ...
  (strided, as in the reference code); per group: the std over its members of every feature,
  sqrt(var + eps) with the biased variance, averaged over all features (and positions), appended
  to every position as one extra channel. B must be divisible by G.
  """
  b = x.shape[0]
  g = min(group_size, b)
  if b % g:
    raise ConfigError(f"minibatch stddev: batch {b} is not divisible by the group size {g}; set "
                      f"config.model.minibatch_stddev_group to a divisor of the (per-device) batch.")
  y = x.reshape(g, b // g, *x.shape[1:]).astype(jnp.float32)
  std = jnp.sqrt(jnp.mean((y - y.mean(axis=0)) ** 2, axis=0) + eps)  # [B/G, ...]
  s = jnp.mean(std.reshape(b // g, -1), axis=1)                       # [B/G]
  s = jnp.tile(s, g).reshape(b, *([1] * (x.ndim - 1)))               # example i -> group i % (B/G)
  return jnp.concatenate([x, jnp.broadcast_to(s, (*x.shape[:-1], 1)).astype(x.dtype)], axis=-1)


class MinibatchDiscrimination(nn.Module):
  """Minibatch discrimination (Salimans et al. 2016, Sec. 3.2).

  f: [B, A] -> [B, A + num_kernels]. With a learned tensor T [A, num_kernels, kernel_dim]:
    M_i = f(x_i) T  [num_kernels, kernel_dim],   c_b(i, j) = exp(-||M_{i,b} - M_{j,b}||_1),
    o(x_i)_b = sum_{j != i} c_b(i, j),           output [f(x_i), o(x_i)].
  The self term c_b(i, i) = 1 is left out, as in the authors' code (improved-gan); the paper's
  sum over all j differs by that constant 1.
  """
  num_kernels: int = 50
  kernel_dim: int = 5
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, f: jax.Array) -> jax.Array:
    t = self.param("T", nn.initializers.normal(0.05), (f.shape[-1], self.num_kernels, self.kernel_dim))
    m = jnp.einsum("ia,abc->ibc", f.astype(self.dtype), t.astype(self.dtype)).astype(jnp.float32)
    l1 = jnp.sum(jnp.abs(m[:, None] - m[None, :]), axis=-1)      # [B, B, num_kernels]
    c = jnp.exp(-l1) * (1.0 - jnp.eye(f.shape[0]))[..., None]     # drop j == i
    return jnp.concatenate([f, jnp.sum(c, axis=1).astype(f.dtype)], axis=-1)


class MinibatchHead(nn.Module):
  """The discriminator's cross-example block before its output layer.

  x: [B, ...] features -> [B, F] flat features: minibatch stddev (on the unflattened features,
  if stddev_group > 0), flatten, minibatch discrimination (if num_kernels > 0).
  """
  stddev_group: int = 0
  num_kernels: int = 0
  kernel_dim: int = 5
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if self.stddev_group:
      x = minibatch_stddev(x, self.stddev_group)
    x = x.reshape(x.shape[0], -1)
    if self.num_kernels:
      x = MinibatchDiscrimination(self.num_kernels, self.kernel_dim, self.dtype)(x)
    return x


def mixes_examples(discriminator: nn.Module) -> bool:
  """Whether D has cross-example layers (its minibatch_* fields set, or a `mixes_examples`
  attribute of its own), so that real and fake must go through it as separate batches."""
  return bool(getattr(discriminator, "mixes_examples", False)
              or getattr(discriminator, "minibatch_stddev_group", 0)
              or getattr(discriminator, "minibatch_kernels", 0))


def minibatch_options(cfg: Any) -> dict:
  """MinibatchHead fields from config.model: minibatch_stddev (bool, default False),
  minibatch_stddev_group (default 4), minibatch_discrimination (number of kernels, 0 = off),
  minibatch_kernel_dim (default 5)."""
  for field, minimum in (("minibatch_stddev_group", 1), ("minibatch_discrimination", 0),
                        ("minibatch_kernel_dim", 1)):
    value = cfg.get(field, minimum)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
      raise ConfigError(f"config.model.{field} must be an integer >= {minimum}, got {value!r}.")
  stddev = cfg.get("minibatch_stddev", False)
  return dict(minibatch_stddev_group=cfg.get("minibatch_stddev_group", 4) if stddev else 0,
              minibatch_kernels=cfg.get("minibatch_discrimination", 0),
              minibatch_kernel_dim=cfg.get("minibatch_kernel_dim", 5))


class VirtualBatchNorm(nn.Module):
  """Virtual batch normalization (Salimans et al. 2016, Sec. 3.4).

  x: [R + B, ..., C], whose first R = num_reference rows are the forward pass of a fixed
  reference batch. Statistics are per channel, over the batch and the positions (the "...").
  Reference rows are normalized with the reference batch's own statistics; every other example
  x_i with the statistics of the reference batch and itself, weighted as one more example:
    mu_i = (R * mean_ref + mean_pos(x_i)) / (R + 1),  ms_i likewise for x^2,  var_i = ms_i - mu_i^2
    y_i = (x_i - mu_i) / sqrt(var_i + epsilon) * scale + bias
  (as the authors' code does), so an example's output never depends on the rest of its batch.
  """
  num_reference: int
  epsilon: float = 1e-3
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    c = x.shape[-1]
    scale = self.param("scale", nn.initializers.ones, (c,))
    bias = self.param("bias", nn.initializers.zeros, (c,))
    xf = x.astype(jnp.float32)
    pos = tuple(range(1, x.ndim - 1))
    r = self.num_reference
    ref_mean = jnp.mean(xf[:r], axis=(0, *pos))
    ref_ms = jnp.mean(xf[:r] ** 2, axis=(0, *pos))
    own_mean = jnp.mean(xf, axis=pos, keepdims=True)
    own_ms = jnp.mean(xf ** 2, axis=pos, keepdims=True)
    mean = (r * ref_mean + own_mean) / (r + 1)
    ms = (r * ref_ms + own_ms) / (r + 1)
    is_ref = (jnp.arange(x.shape[0]) < r).reshape(-1, *([1] * (x.ndim - 1)))
    mean = jnp.where(is_ref, ref_mean, mean)
    ms = jnp.where(is_ref, ref_ms, ms)
    y = (xf - mean) * jax.lax.rsqrt(ms - mean ** 2 + self.epsilon)
    return (y * scale + bias).astype(self.dtype)


def reference_latents(module: nn.Module, size: int, latent_dim: int) -> jax.Array:
  """The generator's fixed VBN reference latents [size, latent_dim], a "vbn_reference" variable.

  Drawn once at init from the "params" PRNG stream (so from the run's seed: create_state folds it
  in), stored with the generator's collections (checkpointed, so a resumed run keeps the same
  reference batch) and never updated.
  """
  return module.variable("vbn_reference", "z", lambda: jax.random.normal(
      jax.random.fold_in(module.make_rng("params"), 0x7B), (size, latent_dim), jnp.float32)).value
