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


def bicubic_resize(images: np.ndarray, size) -> np.ndarray:
  """uint8 [N, H, W, C] (C = 1 or 3) -> uint8 [N, size[0], size[1], C]: Pillow's BICUBIC resize of
  each image (antialiased when shrinking, as MATLAB's imresize): how the super-resolution
  datasets make their low-resolution field, and the bicubic baseline that upscales it back."""
  out = []
  for image in np.asarray(images, np.uint8):
    plane = image[..., 0] if image.shape[-1] == 1 else image
    resized = np.asarray(Image.fromarray(plane).resize((int(size[1]), int(size[0])), Image.BICUBIC),
                         np.uint8)
    out.append(resized[..., None] if resized.ndim == 2 else resized)
  return np.stack(out) if out else np.zeros((0, int(size[0]), int(size[1]), images.shape[-1]), np.uint8)
