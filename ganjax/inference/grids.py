"""Controlled sampling: fixed class labels or latent codes, and grids that vary one code at a time.

Every family samples through `exp.sample(state, key, num, ema=..., fix=...)`, where `fix` replaces
the prior's codes (ganjax/objectives/priors.py). This module builds those `fix` dicts:

  fix = sample_fix(exp, label=3)                     # {"label": 3}, checked against the model
  layout = grid_layout("classes", exp, key, cols=10)  # or "codes", "interpolate"; checks only
  images = render_grid(exp, state, layout)           # float32 [rows * cols, H, W, C]
  png = image_grid(to_uint8(images), ncols=layout.cols)

  "classes"      one row per class; column c shares its other codes (noise) across the rows.
  "codes"        InfoGAN: a block of rows per code; the categorical code takes its K values along
                 each row, each continuous code goes from -2 to 2; other codes fixed per row.
  "interpolate"  rows = pairs of latents (the prior's `latent_field`), columns = slerp steps.

A layout draws every row's codes from `key` with the prior (no state: it is built, and checked,
before a checkpoint is read), then overrides the code it varies along the row; it sets all
codes, so the samples depend only on `key` (the training loop's fixed noise key gives grids that
compare across steps). Wrong requests (a label on an unconditional model, a value out of range)
raise ConfigError before anything is sampled.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import numpy as np

from ganjax.core.capabilities import (CodeSampler, Grids, StyleSpace, Translator, num_classes,
                                      supports)
from ganjax.errors import ConfigError

GRIDS = ("classes", "codes", "interpolate", "mixing")  # mixing: ganjax/inference/style_space.py
CONTINUOUS_RANGE = (-2.0, 2.0)  # InfoGAN's traversal of its U(-1, 1) codes, beyond the prior


def model_name(exp) -> str:
  return str(exp.config.model.get("name", "?"))


def declared_grids(objective) -> tuple[str, ...]:
  """The grids a run draws, the first one in the training loop's samples/: the family's own
  `grids` where its objective declares them (the Grids capability; () for none), else those its
  capabilities imply: "translation" (input | output | reconstruction or target: Translator),
  "classes" (a row per class: Conditional), "samples" (any Sampler), "codes" (a prior with
  codes besides z and the label: InfoGAN), "interpolate" (a prior with a latent_field), "mixing"
  (StyleSpace)."""
  if isinstance(objective, Grids):
    return tuple(objective.grids)
  if supports(objective, Translator):
    return ("translation",)
  grids = (["classes"] if num_classes(objective) else []) + ["samples"]
  if supports(objective, CodeSampler):
    prior = objective.prior
    if prior.categorical.get("categorical") or "continuous" in prior.fields:
      grids.append("codes")
    if getattr(prior, "latent_field", None):
      grids.append("interpolate")
  if supports(objective, StyleSpace):
    grids.append("mixing")
  return tuple(grids)


def check_grid(exp, kind: str) -> None:
  """ConfigError unless the run's family draws grid `kind` (`declared_grids`)."""
  have = declared_grids(exp.objective)
  if kind not in have:
    drawn = ", ".join(g for g in have if g in GRIDS) or "none of them"
    raise ConfigError(f"--grid={kind} needs {_GRID_NEEDS.get(kind, 'a family that declares it')}"
                      f"; model {model_name(exp)!r} draws {drawn}.")


_GRID_NEEDS = {"classes": "a class-conditional model (a Conditional family)",
               "codes": "a model with categorical or continuous latent codes (InfoGAN's prior)",
               "interpolate": "a prior with a continuous latent code",
               "mixing": "a generator with a mapping network and a style space W (a StyleSpace "
                         "family)"}


def prior_of(exp, what: str):
  """The objective's prior, or a ConfigError naming `what` needed it."""
  if not supports(exp.objective, CodeSampler):
    raise ConfigError(f"{what} needs a model whose generator is fed by a prior over latent codes; "
                      f"model {model_name(exp)!r} has none.")
  return exp.objective.prior


def _check_categorical(exp, prior, field: str, value: int, flag: str, takers: str) -> np.int32:
  k = prior.categorical.get(field, 0)
  if not k:
    raise ConfigError(f"{flag} needs {takers}; model {model_name(exp)!r} has no {field!r} code "
                      f"(its codes: {list(prior.fields)}).")
  if isinstance(value, bool) or int(value) != value or not 0 <= value < k:
    raise ConfigError(f"{flag}={value} is outside [0, {k}): model {model_name(exp)!r} has {k} "
                      f"{'classes' if field == 'label' else 'categorical values'} (0..{k - 1}).")
  return np.int32(value)


def sample_fix(exp, *, label: int | None = None, code: int | None = None) -> dict | None:
  """The `fix` dict for `--label` (the class, conditional families) and `--code` (InfoGAN's
  categorical code); None when neither is set. ConfigError when the model lacks that code or the
  value lies outside [0, K)."""
  if label is None and code is None:
    return None
  prior = prior_of(exp, "--label" if label is not None else "--code")
  fix = {}
  if label is not None:
    fix["label"] = _check_categorical(
        exp, prior, "label", label, "--label",
        "a class-conditional model (a Conditional family)")
  if code is not None:
    fix["categorical"] = _check_categorical(
        exp, prior, "categorical", code, "--code",
        "a model with a categorical latent code (InfoGAN's prior)")
  return fix


# ------------------------------------------------------------------------------ interpolation


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
  """Spherical interpolation (Shoemake 1985; White 2016 for GAN latents) between a and b [..., D]
  at fractions t [T]: [..., T, D] in a's dtype, exactly a at t = 0 and b at t = 1. The angle is
  the one between the directions; norms are interpolated along with it. Parallel vectors (and
  zero ones) fall back to linear interpolation."""
  a, b = np.asarray(a), np.asarray(b)
  t = np.asarray(t, np.float64)
  a64, b64 = a.astype(np.float64)[..., None, :], b.astype(np.float64)[..., None, :]
  na = a64 / np.maximum(np.linalg.norm(a64, axis=-1, keepdims=True), 1e-12)
  nb = b64 / np.maximum(np.linalg.norm(b64, axis=-1, keepdims=True), 1e-12)
  omega = np.arccos(np.clip(np.sum(na * nb, axis=-1, keepdims=True), -1.0, 1.0))
  so = np.sin(omega)
  tt = t[:, None]
  parallel = np.abs(so) < 1e-6
  safe = np.where(parallel, 1.0, so)
  wa = np.where(parallel, 1.0 - tt, np.sin((1.0 - tt) * omega) / safe)
  wb = np.where(parallel, tt, np.sin(tt * omega) / safe)
  out = wa * a64 + wb * b64
  out = np.where(tt == 0.0, a64, np.where(tt == 1.0, b64, out))
  return out.astype(a.dtype)


# ------------------------------------------------------------------------------ code helpers


@dataclasses.dataclass(frozen=True)
class Layout:
  """codes: every field of the prior, [rows * cols, ...] numpy arrays in row-major order."""
  codes: dict
  rows: int
  cols: int


def _draw(prior, key: jax.Array, n: int) -> dict:
  """The prior's codes for n rows, on the host."""
  return {k: np.asarray(v) for k, v in jax.device_get(prior.sample(key, n)).items()}


def _with_values(exp, prior, codes: dict, values: Mapping | None, varied: tuple, what: str) -> dict:
  """codes with the scalar `values` ({field: value}, e.g. from `sample_fix`) set on every row;
  ConfigError when the grid varies one of them."""
  out = dict(codes)
  for name, value in (values or {}).items():
    if name in varied:
      raise ConfigError(f"{what} varies the code {name!r} itself; drop the flag fixing it.")
    if name not in out:
      raise ConfigError(f"model {model_name(exp)!r} has no code {name!r} to fix; its codes are "
                        f"{list(prior.fields)}.")
    out[name] = np.broadcast_to(np.asarray(value, out[name].dtype), out[name].shape).copy()
  return out


def _positive(value: int, flag: str) -> int:
  if isinstance(value, bool) or int(value) != value or value < 1:
    raise ConfigError(f"{flag} must be a positive integer, got {value!r}.")
  return int(value)


def render_grid(exp, state, layout: Layout, *, ema: bool = True, batch_size: int = 256,
                truncation: float | None = None) -> np.ndarray:
  """G at the layout's codes: float32 [rows * cols, ...] on the host, in batches of up to
  `batch_size` (every code is fixed, so the sampling key plays no part); truncation: psi."""
  n = layout.rows * layout.cols
  key = jax.random.PRNGKey(0)
  chunks = []
  for s in range(0, n, batch_size):
    fix = {k: v[s:s + batch_size] for k, v in layout.codes.items()}
    m = min(batch_size, n - s)
    chunks.append(np.asarray(jax.device_get(
        exp.sample(state, key, m, ema=ema, fix=fix, truncation=truncation))))
  return np.concatenate(chunks)


# ------------------------------------------------------------------------------ layouts


def class_layout(exp, key: jax.Array, cols: int = 10, fix: Mapping | None = None) -> Layout:
  """One row per class (rows = num_classes), `cols` samples per row; column c shares its other
  codes (noise) across all rows, so a column shows one style in every class."""
  k = num_classes(exp.objective)
  if not k:
    raise ConfigError(f"--grid=classes needs a class-conditional model (a Conditional family); "
                      f"model {model_name(exp)!r} is unconditional.")
  cols = _positive(cols, "--num (samples per class)")
  prior = prior_of(exp, "--grid=classes")
  base = _with_values(exp, prior, _draw(prior, key, cols), fix, ("label",), "--grid=classes")
  codes = {name: np.tile(v, (k,) + (1,) * (v.ndim - 1)) for name, v in base.items()}
  codes["label"] = np.repeat(np.arange(k, dtype=codes["label"].dtype), cols)
  return Layout(codes, k, cols)


def code_layout(exp, key: jax.Array, rows: int = 5, cols: int | None = None,
                fix: Mapping | None = None) -> Layout:
  """InfoGAN's traversals, one block of `rows` rows per code, blocks stacked top to bottom:
  the categorical code takes its K values along each row (cols = K); then each continuous code
  goes from -2 to 2 in `cols` steps along each row. Row r of every block has the same draw of
  the other codes (noise, categorical, continuous), fixed along the row; rows differ."""
  prior = prior_of(exp, "--grid=codes")
  fields = tuple(getattr(prior, "fields", ()))
  k = prior.categorical.get("categorical", 0)
  if not k and "continuous" not in fields:
    raise ConfigError(f"--grid=codes needs a model with categorical or continuous latent codes "
                      f"(InfoGAN's prior); model {model_name(exp)!r} has codes {list(fields)}.")
  if k and cols is not None and cols != k:
    raise ConfigError(f"--grid=codes has one column per categorical value: model "
                      f"{model_name(exp)!r} has {k}; drop --num or set --num={k}.")
  cols = _positive(cols or k or 10, "--num (columns)")
  rows = _positive(rows, "--rows (rows per code)")
  base = _with_values(exp, prior, _draw(prior, key, rows), fix, ("categorical", "continuous"),
                      "--grid=codes")
  row_codes = {name: np.repeat(v, cols, axis=0) for name, v in base.items()}  # [rows * cols, ...]
  blocks = []
  if k:
    blocks.append({**row_codes, "categorical": np.tile(
        np.arange(k, dtype=row_codes["categorical"].dtype), rows)})
  if "continuous" in fields:
    steps = np.linspace(*CONTINUOUS_RANGE, cols).astype(row_codes["continuous"].dtype)
    for j in range(row_codes["continuous"].shape[-1]):
      cont = row_codes["continuous"].copy()
      cont[:, j] = np.tile(steps, rows)
      blocks.append({**row_codes, "continuous": cont})
  if not blocks:
    raise ConfigError(f"--grid=codes: model {model_name(exp)!r} has no categorical or continuous "
                      f"code to vary.")
  codes = {name: np.concatenate([b[name] for b in blocks]) for name in row_codes}
  return Layout(codes, rows * len(blocks), cols)


def interpolation_layout(exp, key: jax.Array, rows: int = 8, cols: int = 10,
                         fix: Mapping | None = None) -> Layout:
  """`rows` pairs of latents (the prior's `latent_field`) drawn from `key`, each row a slerp from
  the first to the second in `cols` steps (endpoints included); the other codes (label,
  categorical, continuous) are drawn once per row and fixed along it."""
  prior = prior_of(exp, "--grid=interpolate")
  field = getattr(prior, "latent_field", None)
  if field is None:
    raise ConfigError(f"--grid=interpolate needs a prior with a continuous latent code "
                      f"(`latent_field`); model {model_name(exp)!r} has none.")
  rows = _positive(rows, "--rows (pairs)")
  cols = _positive(cols, "--num (interpolation steps)")
  if cols < 2:
    raise ConfigError(f"--grid=interpolate needs at least 2 steps per row (--num), got {cols}.")
  draw = _draw(prior, key, 2 * rows)
  base = _with_values(exp, prior, {n: v[:rows] for n, v in draw.items()}, fix, (field,),
                      "--grid=interpolate")
  codes = {name: np.repeat(v, cols, axis=0) for name, v in base.items()}
  path = slerp(draw[field][:rows], draw[field][rows:], np.linspace(0.0, 1.0, cols))
  codes[field] = path.reshape(rows * cols, *path.shape[2:])
  return Layout(codes, rows, cols)


def grid_layout(kind: str, exp, key: jax.Array, *, rows: int | None = None,
                cols: int | None = None, fix: Mapping | None = None) -> Layout:
  """The layout of grid `kind` (one of GRIDS), with its defaults for unset rows / cols:
  classes num_classes x 10, codes 5 rows per code x K, interpolate 8 pairs x 10 steps."""
  if kind == "classes":
    if rows is not None:
      raise ConfigError("--grid=classes has one row per class; drop --rows.")
    return class_layout(exp, key, 10 if cols is None else cols, fix)
  if kind == "codes":
    return code_layout(exp, key, 5 if rows is None else rows, cols, fix)
  if kind == "interpolate":
    return interpolation_layout(exp, key, 8 if rows is None else rows,
                                10 if cols is None else cols, fix)
  if kind == "mixing":
    raise ConfigError("--grid=mixing mixes styles, not codes: ganjax/inference/style_space.py `mixing_grid`.")
  raise ConfigError(f"--grid must be one of {', '.join(GRIDS)}; got {kind!r}.")


def training_layout(exp, key: jax.Array, num: int) -> Layout | None:
  """The training loop's sample grid for families whose first declared grid is "classes": one
  row per class, up to 8 columns within `num` samples (at least one); None for the others."""
  grids = declared_grids(exp.objective)
  k = num_classes(exp.objective)
  if not grids or grids[0] != "classes" or not k:
    return None
  return class_layout(exp, key, max(1, min(8, num // k)))
