"""The reconstruction terms of image-to-image translation, pure functions of image batches
[B, H, W, C] float32 in [-1, 1] returning float32 scalars.

  l1(x, y)                 mean |x - y| over every pixel (pix2pix's L1 to the target, Eq. 3)
  cycle(x, reconstructed)  mean |x - F(G(x))| (CycleGAN's cycle consistency, Eq. 2, one direction)
  identity(y, mapped)      mean |y - G(y)| (CycleGAN's identity term, Sec. 5.2, one direction)
  squared(x, y)            mean (x - y)^2 (DiscoGAN's reconstruction distance)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def l1(x: jax.Array, y: jax.Array) -> jax.Array:
  return jnp.mean(jnp.abs(x.astype(jnp.float32) - y.astype(jnp.float32)))


def cycle(x: jax.Array, reconstructed: jax.Array) -> jax.Array:
  return l1(x, reconstructed)


def identity(y: jax.Array, mapped: jax.Array) -> jax.Array:
  return l1(y, mapped)


def squared(x: jax.Array, y: jax.Array) -> jax.Array:
  return jnp.mean(jnp.square(x.astype(jnp.float32) - y.astype(jnp.float32)))
