"""Restoring a trained run from its workdir (config.json + newest checkpoint) and writing samples."""

from __future__ import annotations

import json
import os

import ml_collections
import numpy as np

from ganjax.checkpoint import Checkpointer
from ganjax.core.state import GANState
from ganjax.errors import CheckpointError, ConfigError
from ganjax.images import image_grid, save_png
from ganjax.sampling import draw_samples
from ganjax.train.experiment import Experiment, build_experiment


def load_config(workdir: str) -> ml_collections.ConfigDict:
  """The resolved config a run wrote to WORKDIR/config.json."""
  path = os.path.join(workdir, "config.json")
  if not os.path.isfile(path):
    raise CheckpointError(f"{path} not found: is {workdir!r} a ganjax training workdir?")
  with open(path) as f:
    return ml_collections.ConfigDict(json.load(f))


def restore_run(workdir: str, step: int | None = None) -> tuple[Experiment, GANState]:
  """Rebuilds a run's experiment from its config.json and restores its checkpoint (newest by default)."""
  exp = build_experiment(load_config(workdir))
  ckpt = Checkpointer(workdir)
  restored = ckpt.restore(exp.abstract_state(), step, with_data=False)
  ckpt.close()
  if restored is None:
    raise CheckpointError(f"no checkpoint in {ckpt.directory}; train first with experiments/train.py.")
  return exp, restored[0]


def write_samples(workdir: str, out: str, *, num: int, ema: bool = True, seed: int = 0,
                  step: int | None = None) -> tuple[str, tuple[int, ...]]:
  """Writes `num` samples to `out` (.npy array or .png grid); returns (path, array shape)."""
  if num <= 0:
    raise ConfigError(f"--num must be positive, got {num}.")
  ext = os.path.splitext(out)[1].lower()
  if ext not in (".npy", ".png"):
    raise ConfigError(f"--out must end in .npy or .png, got {out!r}.")
  exp, state = restore_run(workdir, step)
  samples = draw_samples(exp, state, num, ema=ema, seed=seed)
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  if ext == ".npy":
    np.save(out, samples)
  else:
    save_png(out, image_grid(samples))
  return out, samples.shape
