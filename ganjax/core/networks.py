"""Calling a family's networks on the state: the one place that turns GANState entries into flax
`apply` calls, so objectives never handle variable dicts or mutable collections themselves."""

from __future__ import annotations

from typing import Any, Mapping

import jax

from ganjax.core.state import GANState

PyTree = Any


class Networks:
  """The family's modules by name, applied against a GANState.

  apply(state, name, *args, params=None, train, key=None, ema=False)
    -> (output, new_collections of that network)
  params: the parameters to use (e.g. the ones being differentiated); default: the state's (its
  EMA copy with ema=True). In train mode the network's collections (BatchNorm statistics,
  spectral-norm vectors) come back updated; otherwise unchanged. key: the "dropout" rng.
  """

  def __init__(self, modules: Mapping[str, Any]):
    self.modules = dict(modules)

  def __getitem__(self, name: str):
    return self.modules[name]

  def apply(self, state: GANState, name: str, *args, params: PyTree = None, train: bool,
            key: jax.Array | None = None, ema: bool = False, **kwargs):
    variables = state.variables(name, params, ema=ema)
    cols = [c for c in variables if c != "params"]
    mutable = cols if train and cols and name not in state.frozen else False
    rngs = {"dropout": key} if key is not None else None
    out = self.modules[name].apply(variables, *args, train=train, rngs=rngs, mutable=mutable,
                                   **kwargs)
    if mutable:
      return out[0], dict(out[1])
    return out, {c: variables[c] for c in cols}
