"""Restoring a trained run from its workdir (config.json + newest checkpoint) and writing samples
(all, one class or code, or a grid: ganjax/inference/grids.py)."""

from __future__ import annotations

import json
import os

import jax
import ml_collections
import numpy as np
from absl import logging

from ganjax.checkpoint import Checkpointer
from ganjax.core.capabilities import Exports, require
from ganjax.core.state import GANState
from ganjax.errors import CheckpointError, ConfigError
from ganjax.images import image_grid, save_png, to_uint8
from ganjax.inference.sampling import (as_images, check_truncation, dataset_cond, draw_samples,
                             load_cond_file)
from ganjax.inference.grids import GRIDS, check_grid, grid_layout, render_grid, sample_fix
from ganjax.inference.style_space import check_style_space, mixing_grid
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
  return exp, restore_state(exp, workdir, step)


def restore_state(exp: Experiment, workdir: str, step: int | None = None) -> GANState:
  """The state of `exp` from WORKDIR's checkpoint (newest by default)."""
  ckpt = Checkpointer(workdir, read_only=True)  # sampling tools never move or write checkpoints
  restored = ckpt.restore(exp.abstract_state(), step, with_data=False)
  ckpt.close()
  if restored is None:
    raise CheckpointError(f"no checkpoint in {ckpt.directory}; train first with experiments/train.py.")
  return restored[0]


def write_samples(workdir: str, out: str, *, num: int | None = None, ema: bool = True,
                  seed: int = 0, step: int | None = None, label: int | None = None,
                  code: int | None = None, grid: str | None = None,
                  rows: int | None = None, truncation: float | None = None,
                  cond: str | None = None) -> tuple[str, tuple[int, ...]]:
  """Writes samples to `out` (.npy array in the dataset's stored form, .png grid, or a directory
  `out/` of one file per sample for a family that Exports, e.g. 3-D meshes); returns (path, array
  shape).

  num: samples (default 64), or with `grid` the columns per row (default 10; --grid=codes: one
  per categorical value). label / code: the class / InfoGAN categorical code every sample uses.
  grid: "classes", "codes" or "interpolate" (ganjax/inference/grids.py), or "mixing" (StyleGAN2's
  style-mixing grid, ganjax/inference/style_space.py: --rows row sources (default 5) x --num column sources
  (default 6)), PNG only; rows: rows per code block (codes, default 5) or latent pairs
  (interpolate, default 8). truncation: psi of
  the truncation trick (BigGAN, StyleGAN2). cond: an .npz of conditioning fields in the
  dataset's stored form (`ganjax.inference.sampling.load_cond_file`; one sample per row, so --num defaults
  to its rows); families that sample from an input (super-resolution, text) condition on the
  first --num test examples without it. Every flag is checked against the run's model before its
  checkpoint is read."""
  if num is not None and num <= 0:
    raise ConfigError(f"--num must be positive, got {num}.")
  to_dir = out.endswith(("/", os.sep)) or os.path.isdir(out)
  ext = "/" if to_dir else os.path.splitext(out)[1].lower()  # "/": a directory of files
  if ext not in (".npy", ".png", "/"):
    raise ConfigError(f"--out must end in .npy or .png, or be a directory (ending in /), got "
                      f"{out!r}.")
  if grid is not None and grid not in GRIDS:
    raise ConfigError(f"--grid must be one of {', '.join(GRIDS)}; got {grid!r}.")
  if grid is not None and ext != ".png":
    raise ConfigError(f"--grid={grid} writes an image grid: --out must end in .png, got {out!r}.")
  if grid is None and rows is not None:
    raise ConfigError("--rows goes with --grid=codes or --grid=interpolate.")
  exp = build_experiment(load_config(workdir))
  if to_dir:
    require(exp, Exports, f"--out={out} (one file per sample)",
            "a family that writes its samples as files (gan3d: .obj meshes); or write a .npy")
  conditioning = None
  if cond is not None:
    if grid is not None:
      raise ConfigError("--cond conditions plain samples; drop --grid (or --cond).")
    conditioning = load_cond_file(exp, cond)
    rows_given = len(next(iter(conditioning.values())))
    if num is not None and num != rows_given:
      raise ConfigError(f"--num={num} but the --cond file holds {rows_given} rows; drop --num "
                        f"(one sample per row) or pass {rows_given}.")
    num = rows_given
  elif grid is None:
    conditioning = dataset_cond(exp, 64 if num is None else num)
    if conditioning is not None:
      num = len(next(iter(conditioning.values())))
      logging.info("conditioning on the first %d test examples (pass --cond=FILE.npz for others)",
                   len(next(iter(conditioning.values()))))
  if grid is not None and len(exp.data_shape) != 3:
    raise ConfigError(f"--grid={grid} draws an image grid, but model {exp.config.model.name!r} "
                      f"makes samples of shape {exp.data_shape}; write them to a .npy instead.")
  fix = sample_fix(exp, label=label, code=code)
  check_truncation(exp, truncation)
  key = jax.random.PRNGKey(seed)
  if grid is not None:
    check_grid(exp, grid)
  layout = None if grid in (None, "mixing") else grid_layout(grid, exp, key, rows=rows, cols=num,
                                                             fix=fix)
  parent = os.path.dirname(os.path.abspath(out.rstrip("/" + os.sep) if to_dir else out))
  if not os.path.isdir(parent):
    raise ConfigError(f"--out={out}: its directory {parent} does not exist; create it first (no "
                      f"directories are made for you).")
  state = restore_state(exp, workdir, step)
  if grid == "mixing":
    cols = 6 if num is None else num
    images = to_uint8(mixing_grid(exp, state, key, rows=5 if rows is None else rows, cols=cols,
                                  ema=ema, truncation=truncation))
    save_png(out, image_grid(images, ncols=cols + 1))
    return out, images.shape
  if layout is not None:
    samples = to_uint8(render_grid(exp, state, layout, ema=ema, truncation=truncation))
    save_png(out, image_grid(samples, ncols=layout.cols))
    return out, samples.shape
  samples = draw_samples(exp, state, 64 if num is None else num, ema=ema, seed=seed, fix=fix,
                         truncation=truncation, cond=conditioning)
  if ext == ".npy":
    np.save(out, samples)
    return out, samples.shape
  if to_dir:
    os.makedirs(out, exist_ok=True)  # its parent exists (checked above)
    paths = exp.objective.export(samples, out)
    logging.info("wrote %d files to %s", len(paths), out)
    return out, samples.shape
  images = as_images(exp, samples)
  if images is None:
    raise ConfigError(f"model {exp.config.model.name!r} makes samples of shape {exp.data_shape} "
                      f"and draws no picture of them (no Renders capability); write a .npy.")
  save_png(out, image_grid(to_uint8(np.asarray(images))))
  return out, samples.shape
