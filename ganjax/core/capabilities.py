"""What a family can do, declared: small Protocols its objective implements, checked by the tools.

A tool that needs a capability asks `require(exp, Protocol, "what it is doing")` (or
`isinstance(objective, Protocol)` to branch) instead of probing attributes, so the error a user
sees names the family, the capability and what its objective lacks:

  Sampler      sample(state, key, num, *, ema=True) -> [num, *sample shape] float32.
  Conditioned  sample(..., cond=None): `cond` is a dict of batch fields ({"label": [num] int32},
               {"lr": [num, h, w, c]}, {"tokens": [num, T] int32}) the samples are conditioned
               on; `cond_fields` names the fields it accepts, `required_cond` those of which it
               needs one (empty: none). ganjax/objectives/samplers.py has the shared ones.
  CodeSampler  a generator fed by a prior over named codes (ganjax/objectives/priors.py): `prior`,
               and sample(..., fix=...) replaces codes (grids, interpolation).
  Conditional  class-conditional: `num_classes` > 0 classes; cond {"label": [num]} picks them.
  Truncatable  the truncation trick: sample(..., truncation=psi).
  Translator   `directions` {name: (input field, output field)} and translate(state, x, *,
               direction, ema) -> the output field's shape.
  Encoder      encode(state, x, *, ema) -> z [B, latent]; decode(state, z, *, ema) -> samples.
  StyleSpace   map(state, z, *, ema, truncation) -> ws [B, num_ws, w_dim]; synthesize(state, ws,
               noise, *, ema) -> images; `noise_dim` (StyleGAN2's mixing grids and PPL).
  Renders      render(samples) -> images [n, H, W, C] float32 in [-1, 1]: how samples that are not
               images (voxels, point sets) are drawn in grids.
  Exports      export(samples, directory) -> [paths]: writes each sample (in its dataset's stored
               form) as a file other tools open (voxels: .obj meshes); `sample.py --out=DIR/`.
  Grids        `grids`: the grids it draws, first the training loop's ("classes", "samples",
               "translation", ...; () for none); without it they follow from the capabilities
               above (ganjax/inference/grids.py `declared_grids`).

Membership is structural (typing.runtime_checkable): an objective has a capability when it has the
members, with no registration. `Conditional` and `Truncatable` also check the value (a prior with
no label, a generator without a truncation keyword), so `supports()` is the one question to ask.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from ganjax.errors import ConfigError


@runtime_checkable
class Sampler(Protocol):
  def sample(self, state, key, num: int, *, ema: bool = True): ...


@runtime_checkable
class Conditioned(Protocol):
  cond_fields: tuple[str, ...]
  required_cond: tuple[str, ...]

  def sample(self, state, key, num: int, *, ema: bool = True, cond: Mapping | None = None): ...


@runtime_checkable
class CodeSampler(Protocol):
  prior: Any

  def sample(self, state, key, num: int, *, ema: bool = True, cond: Mapping | None = None,
             fix: Mapping | None = None): ...


@runtime_checkable
class Conditional(Protocol):
  num_classes: int


@runtime_checkable
class Truncatable(Protocol):
  supports_truncation: bool


@runtime_checkable
class Translator(Protocol):
  directions: Mapping[str, tuple[str, str]]

  def translate(self, state, x, *, direction: str, ema: bool = True): ...


@runtime_checkable
class Encoder(Protocol):
  def encode(self, state, x, *, ema: bool = True): ...

  def decode(self, state, z, *, ema: bool = True): ...


@runtime_checkable
class StyleSpace(Protocol):
  noise_dim: int

  def map(self, state, z, *, ema: bool = True, truncation=None): ...

  def synthesize(self, state, ws, noise, *, ema: bool = True): ...



@runtime_checkable
class Renders(Protocol):
  def render(self, samples): ...  # samples [n, *sample shape] -> images [n, H, W, C] in [-1, 1]


@runtime_checkable
class Exports(Protocol):
  def export(self, samples, directory: str) -> list: ...  # one file per sample in `directory`


@runtime_checkable
class Grids(Protocol):
  grids: tuple[str, ...]  # the grids it draws, first the training loop's (ganjax/inference/grids.py)


@runtime_checkable
class Reports(Protocol):
  progress_metrics: tuple[str, ...]  # the metric names the training progress bar shows


def progress_metrics(objective) -> tuple[str, ...]:
  """The metrics a run's progress bar shows (none unless the objective Reports them)."""
  return tuple(objective.progress_metrics) if isinstance(objective, Reports) else ()


CAPABILITIES = {"sample": Sampler, "cond": Conditioned, "render": Renders, "codes": CodeSampler,
                "conditional": Conditional, "export": Exports,
                "truncation": Truncatable, "translate": Translator, "encode": Encoder,
                "style space": StyleSpace}


def num_classes(objective) -> int:
  """The classes a run's generator is conditioned on (0: unconditional)."""
  return int(objective.num_classes or 0) if isinstance(objective, Conditional) else 0


def cond_fields(objective) -> tuple[str, ...]:
  """The batch fields `objective.sample` takes as `cond` (none unless it is Conditioned)."""
  return tuple(objective.cond_fields) if isinstance(objective, Conditioned) else ()


def supports(objective, capability: type) -> bool:
  """Whether `objective` has `capability` (one of the Protocols above), value checks included."""
  if not isinstance(objective, capability):
    return False
  if capability is Conditional:
    return int(objective.num_classes or 0) > 0
  if capability is Truncatable:
    return bool(objective.supports_truncation)
  return True


def members(capability: type) -> list[str]:
  """The attribute and method names a Protocol asks for."""
  names = set(getattr(capability, "__annotations__", {}))
  names |= {n for n, v in vars(capability).items() if callable(v) and not n.startswith("_")}
  return sorted(names)


def missing(objective, capability: type) -> list[str]:
  """The members of `capability` that `objective` lacks (empty when only a value check fails)."""
  return [m for m in members(capability) if not hasattr(objective, m)]


def declared(objective) -> list[str]:
  """The names (CAPABILITIES keys) of every capability `objective` has."""
  return [name for name, cap in CAPABILITIES.items() if supports(objective, cap)]


def require(exp, capability: type, what: str, needs: str | None = None):
  """exp.objective when it has `capability`; else a ConfigError naming `what` needed it, `needs`
  (what a user should train instead, e.g. "a generator with a mapping network (stylegan2)"),
  the family, what its objective lacks and what it can do."""
  objective = exp.objective
  if supports(objective, capability):
    return objective
  name = str(exp.config.model.get("name", "?"))
  gaps = missing(objective, capability)
  why = (f"its objective ({type(objective).__name__}) lacks {', '.join(gaps)}" if gaps else
         f"its objective ({type(objective).__name__}) has {capability.__name__}'s members but "
         f"this configuration does not use them")
  has = f"; it can: {', '.join(declared(objective))}" if declared(objective) else ""
  raise ConfigError(f"{what} needs {needs or 'a family'} (the {capability.__name__} capability, "
                    f"ganjax/core/capabilities.py); model {name!r} has none: {why}{has}.")
