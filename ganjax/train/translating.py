"""What experiments/translate.py does: translate a .npy of images, or the first N test examples
of the run's dataset, with a trained pix2pix / CycleGAN / DiscoGAN run, and write .npy, .npz or a
side-by-side PNG."""

from __future__ import annotations

import os

import numpy as np

from ganjax.errors import ConfigError
from ganjax.images import image_grid, save_png
from ganjax.metrics.scoring import load_sample_file
from ganjax.train.restore import load_config, restore_state
from ganjax.train.experiment import build_experiment
from ganjax.inference.translation import check_direction, check_images, test_examples, translate_images

OUT_KINDS = (".npy", ".npz", ".png")


def _out_kind(out: str, from_split: bool) -> str:
  kind = os.path.splitext(out)[1].lower()
  allowed = (".npz", ".png") if from_split else (".npy", ".png")
  if kind not in allowed:
    raise ConfigError(f"--out={out!r}: with {'--split' if from_split else '--input'} it must end in "
                      f"{' or '.join(allowed)}.")
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  return kind


def side_by_side(inputs: np.ndarray, outputs: np.ndarray, pairs_per_row: int = 4) -> np.ndarray:
  """One uint8 grid [H', W', C] of input | output pairs, `pairs_per_row` pairs per row."""
  tiles = np.stack([inputs, outputs], axis=1).reshape(-1, *inputs.shape[1:])
  return image_grid(tiles, ncols=2 * max(1, min(pairs_per_row, len(inputs))))


def translate_file(workdir: str, out: str, *, input_path: str | None = None,
                   split: str | None = None, num: int | None = None, direction: str = "a2b",
                   ema: bool = True, step: int | None = None) -> dict:
  """Translates `input_path` (uint8 [N, H, W, C] .npy) or the first `num` examples of the run's
  `split` in `direction`; writes `out` (.npy of the outputs; .npz of "inputs", "outputs" and
  "labels" with --split; .png of input | output pairs). Returns {"path", "shape"}. The
  direction and the input are checked before the checkpoint is read."""
  if (input_path is None) == (split is None):
    raise ConfigError("give exactly one of --input=x.npy and --split=test (with --num=N).")
  if num is not None and (isinstance(num, bool) or num < 1):
    raise ConfigError(f"--num must be >= 1, got {num!r}.")
  kind = _out_kind(out, split is not None)
  exp = build_experiment(load_config(workdir))
  check_direction(exp, direction)
  if input_path is not None:
    inputs, labels = check_images(exp, load_sample_file(input_path), f"input file {input_path}"), None
  else:
    ex = test_examples(exp, direction, num, split)
    inputs, labels = ex["inputs"], ex["labels"]
  state = restore_state(exp, workdir, step)
  outputs = translate_images(exp, state, np.asarray(inputs), direction, ema=ema)
  if kind == ".png":
    save_png(out, side_by_side(np.asarray(inputs), outputs), upscale=2)
  elif kind == ".npz":
    np.savez(out, inputs=np.asarray(inputs), outputs=outputs, labels=np.asarray(labels))
  else:
    np.save(out, outputs)
  return {"path": out, "shape": outputs.shape}
