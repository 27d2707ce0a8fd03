"""The one state pytree every step reads and returns."""

from __future__ import annotations

from typing import Any

import flax
import jax
import jax.numpy as jnp
import optax

from ganjax.train import guard
from ganjax.train.techniques import init_extras

PyTree = Any


@flax.struct.dataclass
class Side:
  """One player of the game: its parameters, non-parameter variables and optimizer state.

  collections: flax variable collections other than "params" (e.g. {"batch_stats": ...} or
  spectral-norm power-iteration vectors); {} when the modules have none.
  """
  params: PyTree
  collections: PyTree
  opt_state: PyTree

  def variables(self, params: PyTree | None = None) -> dict:
    """Flax variables dict, optionally with other params (e.g. EMA or the ones being differentiated)."""
    return {"params": self.params if params is None else params, **self.collections}


@flax.struct.dataclass
class GANState:
  """step: int32 scalar; key: uint32[2] root PRNG key, never advanced (use `fold_in(key, step)`);
  g, d: the generator and discriminator sides; ema_params: EMA of g.params, used for sampling;
  extras: dict of technique state (ADA probability, historical averages, non-finite counters...),
  each key owned by the technique that adds it; {} when none."""
  step: jax.Array
  key: jax.Array
  g: Side
  d: Side
  ema_params: PyTree
  extras: PyTree = flax.struct.field(default_factory=dict)


def init_side(module, tx: optax.GradientTransformation, key: jax.Array, *inputs) -> Side:
  """Initialises a flax module on example `inputs` and the side's optimizer state."""
  variables = module.init({"params": key, "dropout": key}, *inputs, train=False)
  params = variables.pop("params")
  return Side(params=params, collections=dict(variables), opt_state=tx.init(params))


def create_state(models, g_tx, d_tx, key: jax.Array, data_shape, techniques=()) -> GANState:
  """Builds the initial GANState. Pure: jit it with out_shardings to place it on a mesh.

  models: ganjax.models.GANModels; data_shape: per-example shape, e.g. (28, 28, 1);
  techniques: ganjax.train.techniques.StatefulTechnique whose state starts in `extras`.
  """
  kg, kd = jax.random.split(jax.random.fold_in(key, 0x1A17))
  z = jnp.zeros((1, models.latent_dim), jnp.float32)
  x = jnp.zeros((1, *data_shape), jnp.float32)
  g = init_side(models.generator, g_tx, kg, z)
  d = init_side(models.discriminator, d_tx, kd, x)
  return GANState(step=jnp.zeros((), jnp.int32), key=key, g=g, d=d,
                  ema_params=jax.tree.map(jnp.copy, g.params),
                  extras={guard.KEY: guard.init_counters(),
                          **init_extras(techniques, g.params, d.params)})
