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


def global_normal(key: jax.Array, batch_size: int, dim: int, axis_name: str | None = None) -> jax.Array:
  """Standard normal codes [batch_size, dim] float32.

  Under shard_map (`axis_name` set, `batch_size` the per-device size) every device draws the
  global batch's codes and keeps its own rows, so the codes do not depend on the device count.
  """
  if axis_name is None:
    return jax.random.normal(key, (batch_size, dim), jnp.float32)
  n, i = jax.lax.psum(1, axis_name), jax.lax.axis_index(axis_name)
  z = jax.random.normal(key, (batch_size * n, dim), jnp.float32)
  return jax.lax.dynamic_slice_in_dim(z, i * batch_size, batch_size)


# The latent codes of a latent-vector generator.
sample_latent = global_normal


def fixed_noise_key(config) -> jax.Array:
  """The key of the sample grid's fixed latents: the same across a run and its resumes."""
  return jax.random.fold_in(jax.random.PRNGKey(config.seed), 0x5A3E)
