"""A family's hyperparameters and the checks of them, one shape for every family.

A family's `defaults()` holds every hyperparameter it reads, laid out as the config is: a "model"
block (config.model's fields) and any training fields of its own at the top (config.loss,
config.path_length, ...), each with its paper value and source. `hyperparameters(config,
defaults())` is those defaults updated by the config; a factory reads only that, and checks the
values with the helpers below, which name the field (as its flag: config.model.g_features) and
what it must be:

  hp = hyperparameters(config, defaults())
  features = number(hp, "model.g_features", integer=True)          # an int >= 1
  rate = number(hp, "model.dropout_rate", minimum=0, maximum=1)   # a number in [0, 1]
  shape = image_shape("dcgan", ctx.spec.shape, divisor=4)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import ml_collections

from ganjax.errors import ConfigError


def hyperparameters(config, defaults: Mapping) -> ml_collections.ConfigDict:
  """`defaults` updated by `config`: each top-level field by the config's field of that name, a
  block of named fields (a non-empty mapping) field by field, and an empty mapping (free options,
  such as loss_kwargs) replaced whole. A field a block's defaults do not name is an error, except
  in config.model: configs derive from one another (fcgan's from dcgan's) and a run's saved
  config.json keeps what it was given, so config.model may hold fields its family does not read."""
  merged = {}
  for key, default in defaults.items():
    given = config.get(key, None)
    if isinstance(default, Mapping) and default:
      given = dict(given or {})
      unknown = sorted(set(given) - set(default))
      if unknown and key != "model":
        raise ConfigError(f"config.{key} has unknown field(s) {unknown}; valid: {sorted(default)}.")
      merged[key] = {**default, **{k: v for k, v in given.items() if k in default}}
    else:
      merged[key] = default if given is None else given
  return ml_collections.ConfigDict(merged)


def value(hp, path: str) -> Any:
  """The field at the dotted `path` ("model.latent_dim") of `hp` (None where it is unset)."""
  node = hp
  for part in path.split("."):
    node = node.get(part, None) if node is not None else None
  return node


def number(hp, path: str, *, minimum: float = 1, maximum: float | None = None,
           above: float | None = None, integer: bool = False):
  """The number at `path`, checked to be an int (with `integer`) or a number, >= `minimum` (or >
  `above`, where given) and <= `maximum`; a ConfigError naming the field otherwise."""
  v = value(hp, path)
  kinds = (int,) if integer else (int, float)
  ok = not isinstance(v, bool) and isinstance(v, kinds)
  ok = ok and (v > above if above is not None else v >= minimum)
  ok = ok and (maximum is None or v <= maximum)
  if not ok:
    kind = "an integer" if integer else "a number"
    if maximum is None:
      bounds = f"> {above}" if above is not None else f">= {minimum}"
    else:
      bounds = f"in ({above}, {maximum}]" if above is not None else f"in [{minimum}, {maximum}]"
    raise ConfigError(f"config.{path} must be {kind} {bounds}, got {v!r}.")
  return v


def one_of(hp, path: str, choices: Sequence) -> Any:
  """The value at `path`, checked to be one of `choices`."""
  v = value(hp, path)
  if v not in choices:
    names = [repr(c) for c in choices]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise ConfigError(f"config.{path} must be {listed}, got {v!r}.")
  return v


def flag(hp, path: str) -> bool:
  """The value at `path`, checked to be True or False."""
  v = value(hp, path)
  if not isinstance(v, bool):
    raise ConfigError(f"config.{path} must be True or False, got {v!r}.")
  return v


def widths(hp, path: str, *, levels: int = 1) -> tuple[int, ...]:
  """The layer widths at `path`: a sequence of at least `levels` integers >= 1, as a tuple."""
  v = value(hp, path)
  ok = isinstance(v, Sequence) and not isinstance(v, str) and len(v) >= levels and all(
      isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in v)
  if not ok:
    raise ConfigError(f"config.{path} must be a sequence of integers >= 1, one width per layer "
                      f"(at least {levels}), got {v!r}.")
  return tuple(v)


def latent_dim(hp) -> int:
  """config.model.latent_dim: an integer >= 1."""
  return number(hp, "model.latent_dim", integer=True)


def image_shape(family: str, shape, *, divisor: int = 1, square: bool = False,
                power_of_two: bool = False, minimum: int = 1, because: str = "") -> tuple:
  """`shape` as a tuple, checked to be images [H, W, C] whose H and W divide by `divisor`, are
  equal (`square`), powers of two (`power_of_two`) and >= `minimum`; `because` says why in the
  error, which names the family and the shape."""
  shape = tuple(shape)
  sides = shape[:2] if len(shape) == 3 else ()
  ok = bool(sides) and all(s % divisor == 0 and s >= minimum and
                           (not power_of_two or s & (s - 1) == 0) for s in sides)
  if not ok or (square and sides[0] != sides[1]):
    side = "H" if square else "H and W"
    needs = [f"{side} divisible by {divisor}"] if divisor > 1 else []
    if power_of_two:
      needs.append(f"{side} a power of two >= {minimum}")
    elif minimum > 1:
      needs.append(f"{side} >= {minimum}")
    what = f"{'square ' if square else ''}images [H, {'H' if square else 'W'}, C]"
    raise ConfigError(f"model {family!r} needs {what}{' with ' if needs else ''}"
                      f"{' and '.join(needs)}{because}, got {shape}; pick such a dataset "
                      f"(config.dataset.name).")
  return shape


def classes(family: str, spec) -> int:
  """The dataset's number of classes, checked to be >= 2 (a class-conditional family)."""
  if spec.num_classes < 2:
    raise ConfigError(f"model {family!r} conditions on classes but the dataset has "
                      f"{spec.num_classes}; pick a labelled dataset (config.dataset.name).")
  return spec.num_classes


def paired(family: str, spec, example: str) -> None:
  """A ConfigError unless the dataset is paired (batch fields "source" and "target")."""
  if spec.kind != "paired":
    raise ConfigError(f"{family} needs a paired dataset (batch fields 'source' and 'target', such "
                      f"as {example}); this dataset has fields {list(spec.fields)}.")


def unpaired(family: str, config, spec, example: str) -> None:
  """A ConfigError unless the dataset is unpaired with domains "a" and "b"."""
  if tuple(spec.domains) != ("a", "b"):
    raise ConfigError(f"{family} needs an unpaired dataset such as {example} (batch fields 'a' "
                      f"and 'b'); got {config.dataset.name!r} with fields {list(spec.fields)}.")
