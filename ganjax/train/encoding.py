"""What experiments/encode.py does: map a .npy of images through a trained run's encoder E to
latents z = E(x), and optionally decode them again to reconstructions G(E(x))
(ganjax/inference/encoding.py holds the encoding itself).
"""

from __future__ import annotations

import os

import numpy as np

from ganjax.errors import ConfigError, DataFormatError
from ganjax.inference.encoding import check_can_encode, encode_images
from ganjax.metrics.scoring import load_sample_file
from ganjax.train.experiment import build_experiment
from ganjax.train.restore import load_config, restore_state


def load_images(path: str, shape: tuple[int, ...], dataset: str) -> np.ndarray:
  """The uint8 [N, *shape] images (N >= 2) in the .npy at `path`, memory-mapped; DataFormatError
  for anything else (ganjax.metrics.scoring.load_sample_file; a wrong [H, W, C] names both)."""
  x = load_sample_file(path)
  if tuple(x.shape[1:]) != tuple(shape):
    raise DataFormatError(
        f"input file {path}: images of shape {tuple(x.shape[1:])}, but the run was trained on "
        f"{dataset!r} images of shape {tuple(shape)}; expected uint8 "
        f"[N, {', '.join(map(str, shape))}]. Fix: resize the images to {tuple(shape)} (or encode "
        f"with a run trained on images of that shape).")
  return x


def _npy_path(path: str, flag: str) -> str:
  if not path.lower().endswith(".npy"):
    raise ConfigError(f"{flag} must end in .npy, got {path!r}.")
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  return path


def encode_file(workdir: str, input_path: str, out: str, *, reconstruct: str | None = None,
                ema: bool = True, step: int | None = None, batch_size: int = 256) -> dict:
  """Encodes the uint8 [N, H, W, C] images in `input_path` with the run in `workdir` (checkpoint
  `step`, newest by default): writes latents float32 [N, latent] to `out` and, with
  `reconstruct`, the uint8 [N, H, W, C] reconstructions G(E(x)) there. Returns {"latents": (path,
  shape), "reconstruction": (path, shape) or None}. The family is checked before the checkpoint
  is read and the input before anything is compiled."""
  _npy_path(out, "--out")
  if reconstruct:
    _npy_path(reconstruct, "--reconstruct")
  exp = build_experiment(load_config(workdir))
  check_can_encode(exp)
  images = load_images(input_path, exp.data_shape, exp.config.dataset.name)
  state = restore_state(exp, workdir, step)
  z, rec = encode_images(exp, state, images, ema=ema, reconstruct=bool(reconstruct),
                         batch_size=batch_size)
  np.save(out, z)
  result = {"latents": (out, z.shape), "reconstruction": None}
  if reconstruct:
    np.save(reconstruct, rec)
    result["reconstruction"] = (reconstruct, rec.shape)
  return result
