"""Update phases: what one compiled step runs, in the spirit of StyleGAN2-ADA's Gmain / Dmain /
Dreg / Greg, and the family description the training loop builds from.

A phase updates one player with one loss:

  loss(params, state, batch, key) -> (scalar, (metrics, collections))

params: the player's {network: params} being differentiated; state: the GANState as the phase
starts (earlier phases of the step already applied); batch: dict of named fields with a leading
batch axis; key: a PRNG key private to this phase, step and repeat; metrics: float32 scalars;
collections: {network: updated non-param collections} for the player's networks whose collections
this call updated (batch statistics, spectral-norm vectors); networks not returned keep theirs.

repeat=n runs the phase n times in a row (critic steps, each with its own key); every=k runs it
only on steps with step % k == 0 (lazy regularization; on other steps the phase is not computed
and its metrics read 0). A loss whose weight should scale with `every` (StyleGAN2's lazy R1 and
path length) multiplies by it itself.
"""

from __future__ import annotations

import dataclasses
import zlib
from typing import Any, Callable, Mapping

import jax

Loss = Callable[..., tuple[jax.Array, tuple[dict, dict]]]


@dataclasses.dataclass(frozen=True)
class Phase:
  name: str     # metric prefix (f"{name}_grad_norm") and key purpose; unique within a step
  player: str   # the player whose parameters this phase updates
  loss: Loss
  repeat: int = 1
  every: int = 1

  def __post_init__(self):
    for field in ("repeat", "every"):
      value = getattr(self, field)
      if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"phase {self.name!r}: {field} must be an integer >= 1, got {value!r}.")

  @property
  def purpose(self) -> int:
    """A stable integer from the name: this phase's key is fold_in(step key, purpose), so adding
    a phase never changes the numbers another phase draws."""
    return zlib.crc32(self.name.encode()) & 0x7FFFFFFF


@dataclasses.dataclass(frozen=True)
class Family:
  """What a family's factory returns (ganjax/families/__init__.py).

  networks: {name: flax module}; each is called as module(*inputs, train=bool).
  players: {player: (network names it trains)}; every network belongs to one player or `frozen`.
  example_inputs: {network: tuple of example arrays (or ShapeDtypeStructs)} to initialise it on.
  objective: has `phases` (tuple of Phase, run in order) and `techniques` (StatefulTechnique
    tuple, ganjax/core/techniques.py), and `sample(state, key, num, *, ema) -> samples
    [num, *sample_shape]` (float32, images in [-1, 1]); optionally `progress_metrics`, the
    metric names the training progress bar shows.
  ema: networks with an EMA copy (state.ema), used for sampling.
  fields: the batch fields the objective reads, as names or as {name: per-example shape (None:
    any)}; checked against the dataset's schema before compiling (`reads`).
  frozen: {network: () -> flax variables} loaded once, never updated (state.frozen).
  """
  networks: Mapping[str, Any]
  players: Mapping[str, tuple[str, ...]]
  example_inputs: Mapping[str, tuple]
  objective: Any
  ema: tuple[str, ...] = ()
  fields: tuple[str, ...] | Mapping[str, tuple | None] = ("image",)
  frozen: Mapping[str, Callable[[], dict]] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    owned = [n for nets in self.players.values() for n in nets]
    for n in [*owned, *self.frozen]:
      if n not in self.networks:
        raise ValueError(f"network {n!r} is named by a player but not built; networks: {sorted(self.networks)}.")
    dupes = sorted({n for n in owned if owned.count(n) > 1} | (set(owned) & set(self.frozen)))
    if dupes:
      raise ValueError(f"networks {dupes} belong to more than one player (or are also frozen).")
    loose = sorted(set(self.networks) - set(owned) - set(self.frozen))
    if loose:
      raise ValueError(f"networks {loose} belong to no player; add them to a player or to frozen.")
    for n in self.ema:
      if n not in owned:
        raise ValueError(f"ema network {n!r} is not trained by any player.")
    for phase in self.objective.phases:
      if phase.player not in self.players:
        raise ValueError(f"phase {phase.name!r} updates unknown player {phase.player!r}; players: "
                         f"{sorted(self.players)}.")
    names = [p.name for p in self.objective.phases]
    if len(set(names)) != len(names):
      raise ValueError(f"phase names must be unique, got {names}.")

  @property
  def reads(self) -> dict[str, tuple[int, ...] | None]:
    """{field: the per-example shape the family expects, or None for any shape}."""
    if isinstance(self.fields, Mapping):
      return {f: None if s is None else tuple(s) for f, s in self.fields.items()}
    return {f: None for f in self.fields}

  def owner(self, network: str) -> str:
    return next(p for p, nets in self.players.items() if network in nets)
