"""Kernel Inception Distance (Binkowski et al. 2018): unbiased MMD^2 with a cubic polynomial kernel.

k(x, y) = (x . y / d + 1)^3 on d-dimensional features; MMD^2 is estimated on `num_subsets` random
subsets of `subset_size` vectors from each side (as in the paper and torch-fidelity), reporting
the mean and standard deviation over subsets. Unbiased: it can be slightly negative, and is 0 in
expectation for two samples of one distribution.
"""

from __future__ import annotations

import numpy as np

from ganjax.errors import DataFormatError


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
  """x: [n, d], y: [m, d] -> [n, m] float64 of (x . y / d + 1)^3."""
  return (x @ y.T / x.shape[1] + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
  """Unbiased MMD^2 estimate between samples x [m, d] and y [n, d] under the cubic kernel."""
  x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
  m, n = len(x), len(y)
  kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
  return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1)) + (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
               - 2.0 * kxy.mean())


def kernel_inception_distance(real: np.ndarray, fake: np.ndarray, *, num_subsets: int = 100,
                              subset_size: int = 1000, seed: int = 0) -> tuple[float, float]:
  """(mean, std) of unbiased MMD^2 over subsets; real: [N, d], fake: [M, d] features.
  The subset size is capped at the smaller set's size."""
  if real.shape[1:] != fake.shape[1:]:
    raise DataFormatError(f"KID: feature shapes differ ({real.shape} vs {fake.shape}); use one "
                          f"feature network for both sides.")
  size = min(subset_size, len(real), len(fake))
  if size < 2:
    raise DataFormatError(f"KID needs at least 2 feature vectors per side, got {len(real)} and {len(fake)}.")
  rng = np.random.default_rng(seed)
  values = [mmd2_unbiased(real[rng.choice(len(real), size, replace=False)],
                          fake[rng.choice(len(fake), size, replace=False)]) for _ in range(num_subsets)]
  return float(np.mean(values)), float(np.std(values))
