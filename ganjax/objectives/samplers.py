"""The samplers objectives share, so `sample(state, key, num, *, ema, cond)` is written once.

`LatentSampler`: for objectives with a `prior` (ganjax/objectives/priors.py) and
  `generate(state, codes, *, ema, **kwargs) -> samples`: draws the prior's codes from `key`,
  replaces those named in `cond` (dataset fields that are codes too: "label") and in `fix` (any
  code: "z", InfoGAN's "categorical"), and generates. Every latent family samples through it.
`TranslationSampler`: for translators, which declare `directions` {direction: (input field,
  output field)} and `translators` {direction: network}: `translate(state, x, *, direction, ema)`
  runs that network in eval mode, and the samples of cond {input field: x [num, ...]} are the
  translations of x (`key` unused). pix2pix, CycleGAN and DiscoGAN translate through it.

Both declare `cond_fields` (what `cond` may hold) and `required_cond` (fields of which sampling
needs one; empty: none), the `Conditioned` capability (ganjax/core/capabilities.py).
"""

from __future__ import annotations

from typing import Mapping

import jax

from ganjax.errors import ConfigError


def check_cond(objective, cond: Mapping | None, num: int) -> dict:
  """`cond` as a dict, checked: only `cond_fields`, one of `required_cond` when that is set, and
  arrays with `num` rows (scalars broadcast). ConfigError naming the fields otherwise."""
  cond = dict(cond or {})
  unknown = sorted(set(cond) - set(objective.cond_fields))
  if unknown:
    raise ConfigError(f"cannot condition samples on {unknown}: this model takes "
                      f"{list(objective.cond_fields) or 'no conditioning'}.")
  if objective.required_cond and not any(f in cond for f in objective.required_cond):
    raise ConfigError(f"this model samples from an input: pass cond with one of "
                      f"{list(objective.required_cond)} ([num, ...] batch-field arrays).")
  for name, value in cond.items():
    rows = getattr(value, "shape", ())[:1]
    if rows and rows[0] != num:
      raise ConfigError(f"cond[{name!r}] has {rows[0]} rows for {num} samples; pass one row per "
                        f"sample (or a scalar).")
  return cond


class LatentSampler:
  """Mixin: `sample` for objectives with `prior` and `generate` (module docstring)."""
  required_cond: tuple[str, ...] = ()

  @property
  def cond_fields(self) -> tuple[str, ...]:
    """The prior's codes that are batch fields too: the class label of conditional families."""
    return tuple(f for f in ("label",) if f in self.prior.fields)

  def sample(self, state, key: jax.Array, num: int, *, ema: bool = True,
             cond: Mapping | None = None, fix: Mapping | None = None, **kwargs) -> jax.Array:
    """num samples [num, ...] float32 in eval mode (EMA weights with `ema`): cond {"label": [num]
    int32 or a scalar} picks classes; fix replaces any code ({"z": [num, latent]}); kwargs go to
    `generate` (truncation=psi where the generator takes it)."""
    values = {**check_cond(self, cond, num), **dict(fix or {})}
    return self.generate(state, self.prior.fix(self.prior.sample(key, num), values), ema=ema,
                         **kwargs)


class TranslationSampler:
  """Mixin: `translate` and `sample` for objectives with `nets`, `directions` and `translators`
  (module docstring)."""

  def translate(self, state, x: jax.Array, *, direction: str = "a2b",
                ema: bool = True) -> jax.Array:
    """x [B, ...] in [-1, 1] of the direction's input field -> its output field's shape, float32
    in [-1, 1], eval mode (dropout off), the translator's EMA weights with `ema`."""
    if direction not in self.translators:
      raise ValueError(f"unknown direction {direction!r}; use one of {list(self.translators)}.")
    return self.nets.apply(state, self.translators[direction], x, train=False, ema=ema)[0]

  @property
  def cond_fields(self) -> tuple[str, ...]:
    return tuple(dict.fromkeys(src for src, _ in self.directions.values()))

  @property
  def required_cond(self) -> tuple[str, ...]:
    return self.cond_fields

  def sample(self, state, key: jax.Array, num: int, *, ema: bool = True,
             cond: Mapping | None = None) -> jax.Array:
    """The translations [num, ...] of the first direction whose input field `cond` holds."""
    del key  # translators are deterministic in eval mode
    cond = check_cond(self, cond, num)
    direction = next(d for d, (src, _) in self.directions.items() if src in cond)
    return self.translate(state, cond[self.directions[direction][0]], direction=direction, ema=ema)


class UnpairedTranslation(TranslationSampler):
  """The directions of unpaired two-domain translation (CycleGAN, DiscoGAN): translators "g_ab"
  (a -> b) and "g_ba" (b -> a); sample(cond={"a": x}) translates x to b, cond={"b": x} to a."""
  directions = {"a2b": ("a", "b"), "b2a": ("b", "a")}  # direction -> (input field, output field)
  translators = {"a2b": "g_ab", "b2a": "g_ba"}
