"""Upscaling images with a trained super-resolution run (srresnet, srgan, esrgan): what
experiments/upscale.py does, on uint8 images at the library's edge.

  lr = read_images("lr.npy")                         # uint8 [N, h, w, C] (.npy) or [1, h, w, C] (.png)
  sr = upscale_images(exp, state, lr)                # uint8 [N, s*h, s*w, C]
  rows = compare_rows(lr, sr, hr=None)               # uint8 grid: LR | bicubic | output (| HR)

The run's low-resolution field ("lr", its role "lowres") fixes h, w and C; any other input is a
DataFormatError naming both shapes.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from ganjax.core.capabilities import Conditioned, supports
from ganjax.errors import ConfigError, DataFormatError
from ganjax.images import bicubic_resize, image_grid, to_uint8


def lowres_input(exp):
  """The run's low-resolution input field (a schema Field); ConfigError for other runs."""
  objective = exp.objective
  names = list(objective.required_cond) if supports(objective, Conditioned) else []
  fields = [exp.spec.field(n) for n in names if n in exp.spec.fields]
  if not fields or fields[0].role != "lowres":
    raise ConfigError(f"model {exp.config.model.get('name', '?')!r} does not upscale a "
                      f"low-resolution input; upscale.py needs a super-resolution run "
                      f"(srresnet, srgan, esrgan).")
  return fields[0]


def read_images(path: str) -> np.ndarray:
  """A .npy of uint8 [N, h, w, C] or a .png (one image: grey -> C = 1, RGB -> C = 3) as uint8
  [N, h, w, C]; DataFormatError for a missing file or another kind."""
  if not os.path.isfile(path):
    raise DataFormatError(f"--input file {path} not found.")
  ext = os.path.splitext(path)[1].lower()
  if ext == ".npy":
    return np.load(path, allow_pickle=False)
  if ext == ".png":
    from PIL import Image
    with Image.open(path) as im:
      if im.mode not in ("L", "RGB"):
        raise DataFormatError(f"--input {path} is a {im.mode} PNG; give a grey (L) or RGB image.")
      arr = np.asarray(im, np.uint8)
    return (arr[..., None] if arr.ndim == 2 else arr)[None]
  raise DataFormatError(f"--input={path!r} must end in .npy or .png.")


def check_lr(exp, images: np.ndarray, what: str = "input") -> np.ndarray:
  """images as uint8 [N, h, w, C] of the run's low-resolution shape; a DataFormatError naming the
  expected and the given shape (and the channel count when that is what differs) otherwise."""
  field = lowres_input(exp)
  images = np.asarray(images)
  want = tuple(field.shape)
  if images.dtype != np.uint8 or images.ndim != 4 or tuple(images.shape[1:]) != want:
    got = images.shape
    channels = ""
    if images.ndim == 4 and tuple(images.shape[1:3]) == want[:2]:
      channels = (f" It has {images.shape[-1]} channel(s); the model takes {want[-1]} "
                  f"({'grey' if want[-1] == 1 else 'RGB'}).")
    raise DataFormatError(
        f"{what}: got {images.dtype} of shape {tuple(got)}, but the model upscales uint8 "
        f"[N, {', '.join(map(str, want))}] images (field {field.name!r} of dataset "
        f"{exp.config.dataset.name!r}).{channels} Fix: give low-resolution images of that shape "
        f"(values 0..255).")
  return images


def upscale_images(exp, state, images: np.ndarray, *, ema: bool = True,
                   batch_size: int = 256) -> np.ndarray:
  """uint8 [N, h, w, C] -> uint8 [N, s*h, s*w, C] through the run's sampler (cond {lr: x}), in
  padded batches of one compiled shape."""
  field = lowres_input(exp)
  images = check_lr(exp, images)
  b = min(batch_size, len(images)) or 1
  outs = []
  for start in range(0, len(images), b):
    chunk = field.convert(images[start:start + b])
    k = len(chunk)
    if k < b:
      chunk = np.concatenate([chunk, np.zeros((b - k, *chunk.shape[1:]), chunk.dtype)])
    out = exp.sample(state, jax.random.PRNGKey(0), b, ema=ema, cond={field.name: chunk})
    outs.append(to_uint8(jax.device_get(out))[:k])
  return np.concatenate(outs) if outs else np.zeros((0, *exp.data_shape), np.uint8)


def compare_rows(lr: np.ndarray, sr: np.ndarray, hr: np.ndarray | None = None) -> np.ndarray:
  """One uint8 grid, a row per image: LR (nearest, at the output's size) | bicubic | output, and
  | HR when given. lr [N, h, w, C], sr and hr [N, H, W, C] uint8."""
  size = sr.shape[1:3]
  scale = size[0] // lr.shape[1]
  nearest = np.repeat(np.repeat(lr, scale, axis=1), scale, axis=2)
  columns = [nearest, bicubic_resize(lr, size), sr] + ([hr] if hr is not None else [])
  tiles = np.stack(columns, axis=1).reshape(-1, *sr.shape[1:])
  return image_grid(tiles, ncols=len(columns))
