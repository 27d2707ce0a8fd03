"""Training techniques that carry state across steps (ADA's probability, LeCam's EMAs, historical
averages ...), kept in `GANState.extras[name]` and advanced inside the compiled step.

A technique is two pure functions:

  init(g_params, d_params) -> entry            # the initial pytree of extras[name]
  update(entry, state, metrics) -> entry       # after the step's D and G updates, before the
                                               # non-finite guard (a skipped step keeps the old entry)
  report(entry) -> {metric: scalar}            # optional: logged with the step's metrics

`state` is the GANState after the step (its extras still hold the old entry) and `metrics` the
step's float32 scalar metrics, so e.g. ADA reads the sign of D(real) that the D loss reported.
Objectives list the techniques their pieces need in `objective.techniques`; the experiment hands
them to `create_state` and `make_train_step`, so the training loop never changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable

import jax.numpy as jnp

PyTree = Any


@dataclasses.dataclass(frozen=True)
class StatefulTechnique:
  name: str  # the key in GANState.extras; unique per run
  init: Callable[[PyTree, PyTree], PyTree]
  update: Callable[[PyTree, Any, dict], PyTree]
  report: Callable[[PyTree], dict] | None = None  # entry -> scalars logged as metrics


def init_extras(techniques: Iterable[StatefulTechnique], g_params: PyTree, d_params: PyTree) -> dict:
  """{name: init(g_params, d_params)} for every technique; names must be unique."""
  extras = {}
  for t in techniques:
    if t.name in extras:
      raise ValueError(f"two techniques keep state under extras[{t.name!r}]; give them distinct names.")
    extras[t.name] = t.init(g_params, d_params)
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
