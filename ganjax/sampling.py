"""Drawing samples from a family's sampler: uint8 images (or float32 non-image data), in batches.

Works on anything with `sample(state, key, num, *, ema)` and `data_shape` (an Experiment), so the
metrics can draw from a run without knowing how it was built or restored (ganjax/train/restore.py).
"""

from __future__ import annotations

import math
import weakref
from typing import Any, Callable

import jax
import numpy as np

from ganjax.core.capabilities import Truncatable, supports
from ganjax.core.state import GANState
from ganjax.errors import ConfigError
from ganjax.images import to_uint8


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


def iter_samples(exp, state: GANState, num: int, *, ema: bool = True, seed: int = 0,
                 batch_size: int = 256, fix: dict | None = None, truncation: float | None = None):
  """Yields num samples in batches of up to `batch_size`: uint8 [b, *data_shape] (images) or
  float32 (non-image data). Only one batch is in host memory at a time. `fix`: scalar codes
  every sample shares ({"label": 3}; ganjax/sampling_grids.py `sample_fix`); truncation: psi
  (`check_truncation`)."""
  check_truncation(exp, truncation)
  key = jax.random.PRNGKey(seed)
  kwargs = {} if fix is None else {"fix": fix}
  if truncation is not None:
    kwargs["truncation"] = truncation
  for i, s in enumerate(range(0, num, batch_size)):
    out = jax.device_get(exp.sample(state, jax.random.fold_in(key, i), min(batch_size, num - s),
                                    ema=ema, **kwargs))
    yield to_uint8(out) if len(exp.data_shape) == 3 else out


def draw_samples(exp, state: GANState, num: int, *, ema: bool = True, seed: int = 0,
                 batch_size: int = 256, fix: dict | None = None,
                 truncation: float | None = None) -> np.ndarray:
  """num samples as uint8 [num, *data_shape] (images) or float32 (non-image data)."""
  chunks = list(iter_samples(exp, state, num, ema=ema, seed=seed, batch_size=batch_size, fix=fix,
                             truncation=truncation))
  if not chunks:
    return np.zeros((0, *exp.data_shape), np.uint8 if len(exp.data_shape) == 3 else np.float32)
  return np.concatenate(chunks)
