"""Family registry: `config.model.name` -> a factory that builds the family's networks, players
and objective (ganjax/core/phases.py, `Family`).

A family is one folder: `networks.py` (plain flax, layers from the injected set; networks several
families share live in ganjax/nn/), an objective (its own or a shared one from ganjax/objectives),
and `family.py` with `defaults()` (every hyperparameter it reads, with its paper value and source)
and the factory:

  def defaults():
    return dict(model=dict(latent_dim=100,      # Paper et al., Sec. 4
                           d_widths=(32, 64)))  # ...

  @FAMILIES.register("my_gan")
  def build(config, ctx: BuildContext) -> Family:
    hp = hyperparameters(config, defaults())       # ganjax/families/checks.py
    g = MyG(ctx.spec.shape, layers=ctx.layers)
    d = MyD(widths(hp, "model.d_widths"), layers=ctx.layers)
    return latent_gan_family(config, ctx, g, d, latent=latent_dim(hp))  # ganjax/families/assembly.py

Its default config is `experiments/configs/<family>_<dataset>.py`. Every folder here with a
`family.py` is found and imported on the first lookup: adding a family edits nothing else. A family
imports no other family's modules: what several share is in assembly.py (building a Family),
checks.py (hyperparameters and their checks) and shared.py (shared hyperparameter blocks and
network builders).
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
from typing import Any

import jax.numpy as jnp

from ganjax.core.phases import Family
from ganjax.nn.layers import PLAIN, Layers
from ganjax.registry import Registry

FAMILIES: Registry = Registry("model family")



@dataclasses.dataclass(frozen=True)
class BuildContext:
  """What a factory gets besides the config: the dataset's spec (shapes, fields, classes), the
  layer set to build from, the compute dtype, and the shard_map axis name in pmap mode (for
  cross-replica BatchNorm statistics and per-device randomness; None otherwise)."""
  spec: Any
  layers: Layers = PLAIN
  dtype: Any = jnp.float32
  axis_name: str | None = None


def builtin_names() -> list[str]:
  """The family folders shipped in this package: every subpackage with a `family.py`."""
  here = os.path.dirname(__file__)
  return sorted(m.name for m in pkgutil.iter_modules([here])
                if m.ispkg and os.path.isfile(os.path.join(here, m.name, "family.py")))


def load_builtin() -> None:
  """Imports every shipped family's factory (each registers itself), once per process."""
  for name in builtin_names():
    importlib.import_module(f"ganjax.families.{name}.family")


def build_family(config, ctx: BuildContext) -> Family:
  """Looks up config.model.name and builds the family."""
  load_builtin()
  return FAMILIES.get(config.model.name)(config, ctx)
