"""Experiment configs: one module per experiment, each with `get_config()`."""

import importlib
import pkgutil

import ml_collections


def named(name: str) -> ml_collections.ConfigDict:
  """get_config() of experiments/configs/<name>.py; an unknown name raises ValueError listing
  the configs there."""
  available = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "base")
  if name not in available:
    raise ValueError(f"No config named {name!r} in experiments/configs; available: "
                     f"{', '.join(available)}.")
  return importlib.import_module(f"{__name__}.{name}").get_config()
