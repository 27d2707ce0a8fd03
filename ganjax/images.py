"""Image conversions at the library's edges: [-1, 1] float <-> uint8, grids, PNG files."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
  """images: [..., H, W, C] float in [-1, 1] -> uint8 in [0, 255] (values outside are clipped)."""
  x = (np.asarray(images, np.float32) + 1.0) * 127.5
  return np.clip(np.round(x), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, ncols: int | None = None, pad: int = 2) -> np.ndarray:
  """images: [N, H, W, C] uint8 -> one [rows*(H+pad)+pad, cols*(W+pad)+pad, C] uint8 grid."""
  n, h, w, c = images.shape
  ncols = ncols or math.ceil(math.sqrt(n))
  nrows = math.ceil(n / ncols)
  grid = np.zeros((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), np.uint8)
  for i, img in enumerate(images):
    r, q = divmod(i, ncols)
    grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = img
  return grid


def save_png(path: str, image: np.ndarray, upscale: int = 1) -> None:
  """image: [H, W, C] uint8 with C in {1, 3, 4} -> PNG file (nearest-neighbour upscaled)."""
  arr = image[..., 0] if image.shape[-1] == 1 else image
  pil = Image.fromarray(arr)
  if upscale > 1:
    pil = pil.resize((pil.width * upscale, pil.height * upscale), Image.NEAREST)
  pil.save(path)
