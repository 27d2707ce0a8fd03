"""Drawing samples from a family's sampler: uint8 images (or float32 non-image data), in batches,
optionally conditioned on data (`cond`: labels, a low-resolution image, a source image, tokens).

Works on anything with `sample(state, key, num, *, ema)` and `data_shape` (an Experiment), so the
metrics can draw from a run without knowing how it was built or restored (ganjax/train/restore.py).
"""

from __future__ import annotations

import math
import os
import weakref
from typing import Any, Callable, Mapping

import jax
import numpy as np

from ganjax.core.capabilities import Renders, Truncatable, cond_fields, supports
from ganjax.core.state import GANState
from ganjax.data.pipeline import read_examples
from ganjax.data.sources import data_source
from ganjax.errors import ConfigError, DataFormatError


_JITTED: dict[tuple[int, str], Any] = {}  # (id(exp), what) -> jitted fn, dropped with the experiment


def cached_jit(exp, what: str, make: Callable[[], Any]):
  """make() once per live experiment (experiments are unhashable dataclasses: keyed by id)."""
  key = (id(exp), what)
  if key not in _JITTED:
    _JITTED[key] = make()
    weakref.finalize(exp, _JITTED.pop, key, None)
  return _JITTED[key]


def check_truncation(exp, truncation: float | None) -> None:
  """ConfigError unless `truncation` is None or a finite psi >= 0 for a family whose generator
  takes it (BigGAN, StyleGAN2: psi = 1 leaves samples unchanged, psi = 0 gives the mean)."""
  if truncation is None:
    return
  if not supports(exp.objective, Truncatable):
    raise ConfigError(f"--truncation: model {exp.config.model.get('name', '?')!r} has no truncation "
                      "trick (BigGAN and StyleGAN2 have one); drop the flag.")
  if isinstance(truncation, bool) or not isinstance(truncation, (int, float)) or \
      not math.isfinite(truncation) or truncation < 0:
    raise ConfigError(f"--truncation (psi) must be a finite number >= 0 (1: no truncation, 0: the "
                      f"mean), got {truncation!r}.")


def cond_from_arrays(exp, arrays: Mapping, *, what: str = "cond") -> dict:
  """Conditioning in the dataset's stored form ({field: [N, ...]}: uint8 images, integer labels
  or token ids, as the dataset's examples hold them) -> model-batch arrays, each checked against
  the schema. ConfigError for a field the model does not take; DataFormatError naming the field,
  the expected and the given dtype and shape otherwise."""
  takes = cond_fields(exp.objective)
  rows = set()
  out = {}
  for name, array in arrays.items():
    if name not in takes:
      raise ConfigError(f"{what}: model {exp.config.model.get('name', '?')!r} cannot be "
                        f"conditioned on {name!r}; it takes {list(takes) or 'no conditioning'}.")
    field = exp.spec.field(name)
    try:
      out[name] = field.convert(field.check(np.asarray(array), batched=True))
    except DataFormatError as e:
      raise DataFormatError(f"{what}: {e}") from None
    rows.add(len(out[name]))
  if len(rows) > 1:
    raise DataFormatError(f"{what}: fields {sorted(out)} have different numbers of rows {rows}.")
  return out


def dataset_cond(exp, num: int, split: str = "test") -> dict | None:
  """The conditioning of the first `num` examples of `split` (the fields of `required_cond`), for
  families that sample from an input (a low-resolution image, a caption); None for the others."""
  needed = cond_fields(exp.objective) and exp.objective.required_cond
  if not needed:
    return None
  source = data_source(exp.config.dataset, split)
  arrays = read_examples(source, np.arange(min(num, len(source))))
  field = exp.spec.field(needed[0])
  return cond_from_arrays(exp, {field.name: arrays[field.source_name]},
                          what=f"the {split} split's {field.name!r}")


def load_cond_file(exp, path: str) -> dict:
  """`sample.py --cond=FILE.npz`: an .npz of one array per field ({"lr": uint8 [N, h, w, c]},
  {"label": int [N]}, {"tokens": int [N, T]}), in the dataset's stored form -> model cond."""
  if not os.path.isfile(path):
    raise DataFormatError(f"--cond file {path} not found; expected an .npz of one array per "
                          f"conditioning field, e.g. np.savez(path, label=labels).")
  try:
    with np.load(path, allow_pickle=False) as data:
      arrays = {k: data[k] for k in data.files}
  except (ValueError, OSError) as e:
    raise DataFormatError(f"--cond file {path} is not a readable .npz ({e}); write it with "
                          f"np.savez(path, FIELD=array, ...).") from None
  if not arrays:
    raise DataFormatError(f"--cond file {path} holds no arrays.")
  return cond_from_arrays(exp, arrays, what=f"--cond file {path}")


def as_images(exp, samples):
  """Samples (model values [n, *data_shape], or the stored form `iter_samples` yields) as images
  [n, H, W, C] in [-1, 1] for a grid: themselves when they are images, the family's rendering
  when it Renders, else None (nothing to draw)."""
  samples = np.asarray(samples)
  field = exp.spec.primary
  if samples.dtype == np.dtype(field.stored_dtype) and samples.dtype != np.dtype(field.dtype):
    samples = field.convert(samples)
  if supports(exp.objective, Renders):
    return exp.objective.render(samples)
  return samples if field.role in ("image", "lowres", "domain") and samples.ndim == 4 else None


def iter_samples(exp, state: GANState, num: int, *, ema: bool = True, seed: int = 0,
                 batch_size: int = 256, fix: dict | None = None, truncation: float | None = None,
                 cond: Mapping | None = None):
  """Yields num samples in batches of up to `batch_size`, in the stored form of the dataset's
  primary field (`Field.to_stored`): uint8 [b, H, W, C] images, uint8 0 / 1 voxel grids, float32
  points. Only one batch is in host memory at a time. `fix`: scalar codes
  every sample shares ({"label": 3}; ganjax/inference/grids.py `sample_fix`); truncation: psi
  (`check_truncation`); cond: model-batch conditioning [num, ...] per field (or scalars),
  sliced with the batches (`cond_from_arrays`, `dataset_cond`)."""
  check_truncation(exp, truncation)
  key = jax.random.PRNGKey(seed)
  kwargs = {} if fix is None else {"fix": fix}
  if truncation is not None:
    kwargs["truncation"] = truncation
  for i, s in enumerate(range(0, num, batch_size)):
    b = min(batch_size, num - s)
    if cond is not None:
      kwargs["cond"] = {k: v[s:s + b] if np.ndim(v) else v for k, v in cond.items()}
    out = jax.device_get(exp.sample(state, jax.random.fold_in(key, i), b, ema=ema, **kwargs))
    yield exp.spec.primary.to_stored(out)


def draw_samples(exp, state: GANState, num: int, *, ema: bool = True, seed: int = 0,
                 batch_size: int = 256, fix: dict | None = None,
                 truncation: float | None = None, cond: Mapping | None = None) -> np.ndarray:
  """num samples [num, *data_shape] in the primary field's stored form (`iter_samples`)."""
  chunks = list(iter_samples(exp, state, num, ema=ema, seed=seed, batch_size=batch_size, fix=fix,
                             truncation=truncation, cond=cond))
  if not chunks:
    return np.zeros((0, *exp.data_shape), np.dtype(exp.spec.primary.stored_dtype))
  return np.concatenate(chunks)
