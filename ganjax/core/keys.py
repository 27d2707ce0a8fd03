"""Randomness that does not depend on how the batch is split over devices."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def device_key(key: jax.Array, axis_name: str | None) -> jax.Array:
  """Under shard_map (`axis_name` set): `key` folded with the device index, so per-device draws
  (dropout masks, penalty interpolates) are independent, as in data-parallel PyTorch; else `key`."""
  if axis_name is None:
    return key
  return jax.random.fold_in(key, jax.lax.axis_index(axis_name))


def global_draw(draw, key: jax.Array, batch_size: int, axis_name: str | None = None) -> jax.Array:
  """draw(key, n) -> [n, ...] for the batch. Under shard_map (`axis_name` set, `batch_size` the
  per-device size) every device draws the global batch and keeps its own rows, so the draws do
  not depend on the device count."""
  if axis_name is None:
    return draw(key, batch_size)
  n, i = jax.lax.psum(1, axis_name), jax.lax.axis_index(axis_name)
  return jax.lax.dynamic_slice_in_dim(draw(key, batch_size * n), i * batch_size, batch_size)


def global_normal(key: jax.Array, batch_size: int, dim: int, axis_name: str | None = None) -> jax.Array:
  """Standard normal codes [batch_size, dim] float32, the same rows on any device count."""
  return global_draw(lambda k, n: jax.random.normal(k, (n, dim), jnp.float32), key, batch_size,
                     axis_name)


def global_randint(key: jax.Array, batch_size: int, high: int, axis_name: str | None = None) -> jax.Array:
  """Uniform integers [batch_size] int32 in [0, high) (class labels, categorical codes)."""
  return global_draw(lambda k, n: jax.random.randint(k, (n,), 0, high, jnp.int32), key, batch_size,
                     axis_name)


def global_uniform(key: jax.Array, batch_size: int, dim: int, low: float, high: float,
                   axis_name: str | None = None) -> jax.Array:
  """Uniform codes [batch_size, dim] float32 in [low, high)."""
  return global_draw(lambda k, n: jax.random.uniform(k, (n, dim), jnp.float32, low, high), key,
                     batch_size, axis_name)


# The latent codes of a latent-vector generator.
sample_latent = global_normal


def fixed_noise_key(config) -> jax.Array:
  """The key of the sample grid's fixed latents: the same across a run and its resumes."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x5A3E)
