"""The one state pytree every step reads and returns: named players, EMA copies, frozen networks.

A player owns some networks and one optimizer (the generator side: G, or G plus BiGAN's encoder,
or both CycleGAN translators; the critic side: one or more discriminators). Parameters and
collections are keyed by network name inside each player, so a network belongs to exactly one
player and nothing here knows the names a family chose.
"""

from __future__ import annotations

from typing import Any, Mapping

import flax
import jax
import jax.numpy as jnp

PyTree = Any


@flax.struct.dataclass
class Player:
  """params: {network: params}; collections: {network: {collection: ...}} for the flax
  collections other than "params" (batch_stats, spectral-norm vectors; {} when a network has
  none); opt_state: the player's optax state over `params`."""
  params: PyTree
  collections: PyTree
  opt_state: PyTree


@flax.struct.dataclass
class GANState:
  """step: int32 scalar. key: uint32[2] root PRNG key, never advanced (`fold_in(key, step)`).
  players: {player: Player}. ema: {network: params}, EMA copies used for sampling. frozen:
  {network: variables}, never updated (feature nets, a trained stage-I generator). extras: technique
  state (ADA probability, LeCam EMAs, non-finite counters ...), each key owned by its technique."""
  step: jax.Array
  key: jax.Array
  players: PyTree
  ema: PyTree = flax.struct.field(default_factory=dict)
  frozen: PyTree = flax.struct.field(default_factory=dict)
  extras: PyTree = flax.struct.field(default_factory=dict)

  def owner(self, network: str) -> str:
    """The player whose params hold `network`."""
    for name, player in self.players.items():
      if network in player.params:
        return name
    raise KeyError(f"no player owns network {network!r}; players: "
                   f"{ {n: sorted(p.params) for n, p in self.players.items()} }")

  def params_of(self, network: str, *, ema: bool = False) -> PyTree:
    """`network`'s parameters: its EMA copy when `ema` and one is kept, else the trained ones."""
    if ema and network in self.ema:
      return self.ema[network]
    if network in self.frozen:
      return self.frozen[network]["params"]
    return self.players[self.owner(network)].params[network]

  def variables(self, network: str, params: PyTree | None = None, *, ema: bool = False) -> dict:
    """flax variables of `network`: `params` (default: `params_of`) plus its collections."""
    if network in self.frozen:
      return dict(self.frozen[network]) if params is None else {**self.frozen[network], "params": params}
    cols = self.players[self.owner(network)].collections.get(network, {})
    return {"params": self.params_of(network, ema=ema) if params is None else params, **cols}


def with_collections(state: GANState, player: str, network: str, cols: dict) -> GANState:
  """`state` with `network`'s non-param collections (of `player`) replaced by `cols`."""
  p = state.players[player]
  return state.replace(players={**state.players, player: p.replace(
      collections={**p.collections, network: cols})})


def split_variables(variables: Mapping) -> tuple[PyTree, dict]:
  """flax variables -> (params, {other collection: ...})."""
  variables = dict(variables)
  return variables.pop("params", {}), variables


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
  """EMA decay with warm-up, min(decay, (1 + t) / (10 + t)), so early samples are not stale."""
  t = step.astype(jnp.float32)
  return jnp.minimum(decay, (1.0 + t) / (10.0 + t))


def update_ema(state: GANState, decay: float) -> GANState:
  """Every EMA copy moved toward its network's current parameters (decay with warm-up)."""
  d = ema_decay_at(state.step, decay)
  ema = {n: jax.tree.map(lambda e, p: d * e + (1.0 - d) * p, e, state.params_of(n))
         for n, e in state.ema.items()}
  return state.replace(ema=ema)
