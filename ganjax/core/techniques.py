"""Training techniques that carry state across steps (ADA's probability, LeCam's EMAs, historical
averages ...), kept in `GANState.extras[name]` and advanced inside the compiled step.

A technique is two pure functions:

  init(params) -> entry                        # the initial pytree of extras[name]; params:
                                               # {player: {network: params}} at initialisation
  update(entry, state, metrics) -> entry       # after the step's phases, before the
                                               # non-finite guard (a skipped step keeps the old entry)
  report(entry) -> {metric: scalar}            # optional: logged with the step's metrics

`state` is the GANState after the step (its extras still hold the old entry) and `metrics` the
step's float32 scalar metrics, so e.g. ADA reads the sign of D(real) that the D loss reported.
Objectives list the techniques their pieces need in `objective.techniques`; the experiment hands
them to `init_state` and `make_train_step`, so the training loop never changes. A technique that
reads one player's parameters (historical averaging) is built knowing that player's name.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

import jax.numpy as jnp

PyTree = Any


@dataclasses.dataclass(frozen=True)
class StatefulTechnique:
  name: str  # the key in GANState.extras; unique per run
  init: Callable[[PyTree], PyTree]
  update: Callable[[PyTree, Any, dict], PyTree]
  report: Callable[[PyTree], dict] | None = None  # entry -> scalars logged as metrics


def init_extras(techniques: Iterable[StatefulTechnique], params: PyTree) -> dict:
  """{name: init(params)} for every technique; params: {player: {network: params}}; names must
  be unique."""
  extras = {}
  for t in techniques:
    if t.name in extras:
      raise ValueError(f"two techniques keep state under extras[{t.name!r}]; give them distinct names.")
    extras[t.name] = t.init(params)
  return extras


def update_extras(techniques: Iterable[StatefulTechnique], state, metrics: dict):
  """The state with every technique's extras entry advanced (pure; runs inside the jitted step)."""
  extras = dict(state.extras)
  for t in techniques:
    extras[t.name] = t.update(state.extras[t.name], state, metrics)
  return state.replace(extras=extras)


def technique_metrics(techniques: Iterable[StatefulTechnique], extras: dict) -> dict:
  """Every technique's `report(extras[name])`, as float32 scalars for the step's metrics."""
  out = {}
  for t in techniques:
    if t.report is not None:
      out.update({k: jnp.asarray(v, jnp.float32) for k, v in t.report(extras[t.name]).items()})
  return out
