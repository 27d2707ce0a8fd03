"""2-D Gaussian mixtures for mode-collapse studies (the VEEGAN / PacGAN toy set-ups).

* `ring8`: 8 equally weighted isotropic Gaussians with means evenly spaced on a circle of radius 2
  (the first at angle 0), std 0.02 (Srivastava et al. 2017, VEEGAN, Sec. 5.1; Metz et al. 2017).
* `grid25`: 25 equally weighted isotropic Gaussians with means on {-4, -2, 0, 2, 4}^2, std 0.05
  (VEEGAN Sec. 5.1; Lin et al. 2018, PacGAN, Sec. 4).

One mixture definition serves the tfds builder (data) and `ganjax.metrics.toy` (evaluation).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ganjax.registry import Registry


@dataclasses.dataclass(frozen=True)
class Mixture:
  centers: np.ndarray  # [K, 2] float32 mode means
  std: float           # per-coordinate standard deviation of every mode

  @property
  def num_modes(self) -> int:
    return len(self.centers)

  def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points [n, 2] float32 and their mode indices [n] int64, modes drawn uniformly."""
    rng = np.random.default_rng(seed)
    modes = rng.integers(0, self.num_modes, n)
    points = self.centers[modes] + self.std * rng.standard_normal((n, 2))
    return points.astype(np.float32), modes.astype(np.int64)


def ring_centers(num_modes: int, radius: float) -> np.ndarray:
  angles = 2.0 * np.pi * np.arange(num_modes) / num_modes
  return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def grid_centers(values) -> np.ndarray:
  xs, ys = np.meshgrid(np.asarray(values, np.float32), np.asarray(values, np.float32), indexing="ij")
  return np.stack([xs.ravel(), ys.ravel()], axis=1)


MIXTURES: Registry = Registry("mixture")
MIXTURES.register("ring8", Mixture(ring_centers(8, 2.0), 0.02))
MIXTURES.register("grid25", Mixture(grid_centers((-4, -2, 0, 2, 4)), 0.05))
