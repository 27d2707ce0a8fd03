"""Fashion-MNIST's 28x28 images zero-padded to 32x32 (black, their background), so generators can
halve them five times, and the centre crop back for the shipped 28x28 classifier and metrics."""

from __future__ import annotations

import numpy as np

PAD = 2  # 28 + 2 * PAD = 32
SIZE = 28 + 2 * PAD


def pad_to_32(images: np.ndarray) -> np.ndarray:
  """uint8 [..., 28, 28, C] -> [..., 32, 32, C], zero (black, Fashion-MNIST's background) border."""
  width = [(0, 0)] * (images.ndim - 3) + [(PAD, PAD), (PAD, PAD), (0, 0)]
  return np.pad(images, width)


def crop_to_fashion_mnist(images: np.ndarray) -> np.ndarray:
  """[..., 32, 32, C] -> the centre [..., 28, 28, C]: the inverse of pad_to_32, so the shipped
  Fashion-MNIST classifier and feature network read translations at their own size."""
  if images.shape[-3:-1] != (SIZE, SIZE):
    raise ValueError(f"expected images [..., {SIZE}, {SIZE}, C], got {images.shape}.")
  return images[..., PAD:PAD + 28, PAD:PAD + 28, :]
