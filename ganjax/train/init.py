"""The initial GANState of a family: every network initialised on its example inputs."""

from __future__ import annotations

import zlib
from typing import Mapping

import jax
import jax.numpy as jnp
import optax

from ganjax.core import guard
from ganjax.core.phases import Family
from ganjax.core.state import GANState, Player, split_variables
from ganjax.core.techniques import init_extras


def network_key(key: jax.Array, name: str) -> jax.Array:
  """The init key of network `name`: from the run's key and the name, so adding a network to a
  family does not change how the others start."""
  return jax.random.fold_in(jax.random.fold_in(key, 0x1A17), zlib.crc32(name.encode()) & 0x7FFFFFFF)


def init_variables(family: Family, name: str, key: jax.Array) -> dict:
  """flax variables of network `name` initialised on its example inputs (eval mode)."""
  k = network_key(key, name)
  inputs = [jnp.zeros(x.shape, x.dtype) for x in family.example_inputs[name]]
  return dict(family.networks[name].init({"params": k, "dropout": k}, *inputs, train=False))


def init_state(family: Family, optimizers: Mapping[str, optax.GradientTransformation],
               key: jax.Array, techniques=()) -> GANState:
  """Builds the initial GANState. Pure (except frozen loaders): jit it with out_shardings to place
  it on a mesh."""
  players = {}
  for player, nets in family.players.items():
    params, cols = {}, {}
    for n in nets:
      params[n], cols[n] = split_variables(init_variables(family, n, key))
    players[player] = Player(params=params, collections=cols, opt_state=optimizers[player].init(params))
  frozen = {n: load() for n, load in family.frozen.items()}
  ema = {n: jax.tree.map(jnp.copy, players[family.owner(n)].params[n]) for n in family.ema}
  extras = {guard.KEY: guard.init_counters(),
            **init_extras(techniques, {p: pl.params for p, pl in players.items()})}
  return GANState(step=jnp.zeros((), jnp.int32), key=key, players=players, ema=ema,
                  frozen=frozen, extras=extras)
