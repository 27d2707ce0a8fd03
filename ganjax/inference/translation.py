"""Running a trained image-to-image translation model (pix2pix, CycleGAN, DiscoGAN) on images.

A translation family's objective has
  directions: {direction: (input batch field, output batch field)}, e.g. {"a2b": ("a", "b"),
              "b2a": ("b", "a")} for unpaired models, {"a2b": ("source", "target")} for pix2pix;
  translate(state, x, *, direction, ema) -> images: x [B, H, W, C] in [-1, 1] -> the same shape,
              eval mode (EMA weights with ema).
This module turns that into uint8-in, uint8-out batches, reads a direction's test inputs from the
dataset, and lays out the input | output | reconstruction (or target) grids the training loop saves.
Runs are read through `exp.objective`, `exp.spec`, `exp.config`, so it imports nothing from train.
"""

from __future__ import annotations

import functools
import weakref

import jax
import numpy as np

from ganjax.core.capabilities import Translator, require, supports
from ganjax.data.sources import data_source
from ganjax.errors import ConfigError, DataFormatError
from ganjax.images import to_uint8


def is_translator(objective) -> bool:
  """Whether `objective` has the Translator capability (ganjax/core/capabilities.py)."""
  return supports(objective, Translator)


def check_translator(exp) -> None:
  require(exp, Translator, "translation", "an image-to-image family (pix2pix, cyclegan, discogan)")


def check_direction(exp, direction: str) -> tuple[str, str]:
  """(input field, output field) of `direction`; ConfigError naming the model's directions."""
  check_translator(exp)
  directions = exp.objective.directions
  if direction not in directions:
    raise ConfigError(f"model {exp.config.model.name!r} translates {sorted(directions)} only, not "
                      f"{direction!r}" + (" (a paired model maps inputs to targets one way)"
                                           if len(directions) == 1 else "") + ".")
  return directions[direction]


def reverse_of(exp, direction: str) -> str | None:
  """The direction mapping `direction`'s outputs back to its inputs, if the model has one."""
  src, dst = exp.objective.directions[direction]
  return next((d for d, (s, t) in exp.objective.directions.items() if (s, t) == (dst, src)), None)


_TRANSLATORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _translator(exp, direction: str, ema: bool):
  cache = _TRANSLATORS.setdefault(exp.objective, {})
  if (direction, ema) not in cache:
    cache[direction, ema] = jax.jit(
        lambda s, x: exp.objective.translate(s, x, direction=direction, ema=ema))
  return cache[direction, ema]


def check_images(exp, images: np.ndarray, what: str = "input") -> np.ndarray:
  """images as uint8 [N, H, W, C] of the run's data shape; DataFormatError naming the fix."""
  images = np.asarray(images)
  shape = tuple(exp.spec.shape)
  if images.dtype != np.uint8 or images.ndim != 4 or tuple(images.shape[1:]) != shape:
    raise DataFormatError(
        f"{what}: got {images.dtype} of shape {images.shape}, but the model translates uint8 "
        f"[N, {', '.join(map(str, shape))}] images (dataset {exp.config.dataset.name!r}). Fix: "
        f"resize / convert the images to that shape and channel count (values 0..255).")
  return images


def translate_images(exp, state, images: np.ndarray, direction: str = "a2b", *, ema: bool = True,
                     batch_size: int = 250) -> np.ndarray:
  """uint8 [N, H, W, C] inputs -> uint8 [N, H, W, C] translations, in padded batches of
  `batch_size` (one compiled shape)."""
  check_direction(exp, direction)
  images = check_images(exp, images)
  fn, outs = _translator(exp, direction, ema), []
  b = min(batch_size, len(images)) or 1
  for start in range(0, len(images), b):
    chunk = images[start:start + b].astype(np.float32) / 127.5 - 1.0  # as the data pipeline
    k = len(chunk)
    if k < b:
      chunk = np.concatenate([chunk, np.zeros((b - k, *chunk.shape[1:]), np.float32)])
    outs.append(to_uint8(jax.device_get(fn(state, chunk)))[:k])
  return np.concatenate(outs) if outs else images[:0]


@functools.lru_cache(maxsize=8)
def _split_fields(dataset: tuple, split: str, fields: tuple[str, ...], limit: int | None) -> dict:
  """{field: stacked array} of the first `limit` examples of a split; dataset: (name, source_dir,
  data_dir). Cached: the training loop's grids read the same few examples every time."""
  import ml_collections
  cfg = ml_collections.ConfigDict(dict(zip(("name", "source_dir", "data_dir"), dataset)))
  source = data_source(cfg, split)
  n = len(source) if limit is None else min(limit, len(source))
  rows = source.__getitems__(list(range(n)))
  return {f: np.stack([np.asarray(r[f]) for r in rows]) for f in fields}


def _dataset_key(exp) -> tuple:
  d = exp.config.dataset
  return (d.name, d.get("source_dir"), d.get("data_dir"))


def domain_images(exp, domain: str, num: int | None = None, split: str = "test") -> np.ndarray:
  """uint8 [N, H, W, C]: the first `num` images of an unpaired dataset's domain in `split`."""
  return _split_fields(_dataset_key(exp), f"{split}_{domain}", ("image",), num)["image"]


def test_examples(exp, direction: str, num: int | None = None, split: str = "test") -> dict:
  """The first `num` examples (all by default) of `split` for `direction`: {"inputs": uint8
  [N, H, W, C], "labels": int [N] (the source class), "targets": uint8 [N, H, W, C] for paired
  data, absent for unpaired}. Unpaired data reads the input domain's split ("test_a")."""
  src, dst = check_direction(exp, direction)
  if exp.spec.domains:
    got = _split_fields(_dataset_key(exp), f"{split}_{src}", ("image", "label"), num)
    return {"inputs": got["image"], "labels": got["label"]}
  got = _split_fields(_dataset_key(exp), split, (src, dst, "label"), num)
  return {"inputs": got[src], "targets": got[dst], "labels": got["label"]}


def translation_grid(exp, state, num: int, *, ema: bool = True) -> tuple[np.ndarray, int]:
  """(uint8 images [rows * cols, H, W, C], cols) for the training loop's grids: for each
  direction, `num` fixed test examples as rows of input | output | reconstruction (when the model
  maps back) or target (paired data)."""
  tiles, cols = [], 3 * max(1, min(4, num))  # up to 4 examples side by side per row
  for direction in exp.objective.directions:
    ex = test_examples(exp, direction, num)
    out = translate_images(exp, state, ex["inputs"], direction, ema=ema)
    back = reverse_of(exp, direction)
    third = translate_images(exp, state, out, back, ema=ema) if back else ex.get("targets", out)
    tiles.append(np.stack([ex["inputs"], out, third], axis=1).reshape(-1, *out.shape[1:]))
  return np.concatenate(tiles), cols
