"""The replay buffer of past fakes (Shrivastava et al. 2017; CycleGAN's `ImagePool`): a critic
is trained on a mix of the newest fakes and older ones, so it does not forget what G used to make.

Semantics (the reference's, per image of the batch, in order): while the pool holds fewer than
`size` images, the fake is stored and passed through; afterwards, with probability 1/2 it is
swapped with a uniformly chosen stored image (which is returned in its place, the new fake taking
its slot), else passed through. The pool is a pytree {"images": [size, H, W, C], "count": int32},
updated purely, so it lives in the training state, is checkpointed and resumes bit for bit.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


def empty_pool(size: int, shape, dtype=jnp.float32) -> dict:
  """A pool of `size` slots for images of per-example `shape`."""
  return {"images": jnp.zeros((size, *shape), dtype), "count": jnp.zeros((), jnp.int32)}


def query_pool(pool: dict, fakes: jax.Array, key: jax.Array) -> tuple[jax.Array, dict]:
  """(images for the critic [B, ...], the updated pool) from fakes [B, ...]; deterministic in key."""
  size = pool["images"].shape[0]
  keys = jax.random.split(key, fakes.shape[0])

  def one(carry, inputs):
    images, count = carry
    fake, k = inputs
    k_swap, k_slot = jax.random.split(k)
    filling = count < size
    swap = jnp.logical_and(~filling, jax.random.uniform(k_swap) > 0.5)
    slot = jnp.where(filling, jnp.minimum(count, size - 1), jax.random.randint(k_slot, (), 0, size))
    stored = images[slot]
    out = jnp.where(swap, stored, fake)
    images = jnp.where(jnp.logical_or(filling, swap), images.at[slot].set(fake), images)
    return (images, count + filling.astype(jnp.int32)), out

  (images, count), out = jax.lax.scan(one, (pool["images"], pool["count"]), (fakes, keys))
  return out, {"images": images, "count": count}


class ImagePool(nn.Module):
  """The pool as a network of a critic's player: its "pool" collection holds the pytree above.
  Called as pool(fakes, key, train=...) -> images for the critic; in train mode (the collection
  mutable) the pool is updated, in eval mode fakes pass through. Under shard_map (`axis_name`)
  every device queries the global batch with the same key and keeps its own rows, so the pool
  stays identical on all devices and equal to a one-device run's."""
  size: int = 50
  axis_name: str | None = None

  @nn.compact
  def __call__(self, fakes: jax.Array, key: jax.Array | None = None, *, train: bool) -> jax.Array:
    shape = fakes.shape[1:]
    pool = self.variable("pool", "state", lambda: empty_pool(self.size, shape, fakes.dtype))
    if not train or key is None or self.is_initializing():
      return fakes
    local = fakes.shape[0]
    if self.axis_name is not None:
      fakes = jax.lax.all_gather(fakes, self.axis_name, tiled=True)
    out, pool.value = query_pool(pool.value, fakes, key)
    if self.axis_name is not None:
      out = jax.lax.dynamic_slice_in_dim(out, jax.lax.axis_index(self.axis_name) * local, local)
    return out
