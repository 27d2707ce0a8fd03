"""k-NN manifold metrics on feature vectors: improved precision/recall (Kynkaanniemi et al. 2019,
k=3) and density/coverage (Naeem et al. 2020, k=5).

Each real (or fake) vector gets a ball reaching its k-th nearest neighbour in its own set.
precision: share of fakes inside some real ball; recall: share of reals inside some fake ball;
density: mean number of real balls holding a fake, over k (can exceed 1); coverage: share of real
balls holding at least one fake. Costs O(N M d) time; distances are computed in row blocks so
memory stays O(block * N). Callers cap N and M (summary.DEFAULT_KEEP_FEATURES = 10k).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ganjax.errors import DataFormatError

BLOCK = 500


def _sq_norms(x: np.ndarray) -> np.ndarray:
  return np.einsum("ij,ij->i", x, x)


def distance_blocks(a: np.ndarray, b: np.ndarray, block: int = BLOCK) -> Iterator[tuple[int, np.ndarray]]:
  """Yields (start, Euclidean distances [rows, len(b)] float64) for row blocks of a [N, d]."""
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  b2 = _sq_norms(b)
  for s in range(0, len(a), block):
    x = a[s:s + block]
    d2 = _sq_norms(x)[:, None] + b2[None, :] - 2.0 * x @ b.T
    yield s, np.sqrt(np.maximum(d2, 0.0))


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
  """[N] distance from each row of x to its k-th nearest other row (the row itself excluded)."""
  if len(x) <= k:
    raise DataFormatError(f"k-NN radii with k={k} need more than {k} vectors, got {len(x)}.")
  radii = np.empty(len(x))
  for s, d in distance_blocks(x, x):
    radii[s:s + len(d)] = np.partition(d, k, axis=1)[:, k]  # index 0 is the row itself (distance 0)
  return radii


def _check(real: np.ndarray, fake: np.ndarray) -> None:
  if real.ndim != 2 or real.shape[1:] != fake.shape[1:]:
    raise DataFormatError(f"feature sets must be [N, d] with one d, got {real.shape} and {fake.shape}.")


def _inside_any_ball(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
  """[len(points)] bool: whether each point lies within some centre's ball."""
  inside = np.zeros(len(points), bool)
  for s, d in distance_blocks(points, centres):
    inside[s:s + len(d)] = (d <= radii[None, :]).any(1)
  return inside


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
  """Improved precision and recall, both in [0, 1]; real: [N, d], fake: [M, d]."""
  _check(real, fake)
  precision = _inside_any_ball(fake, real, knn_radii(real, k)).mean()
  recall = _inside_any_ball(real, fake, knn_radii(fake, k)).mean()
  return float(precision), float(recall)


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
  """Density (>= 0, about 1 for matching distributions) and coverage (in [0, 1])."""
  _check(real, fake)
  radii = knn_radii(real, k)
  balls_per_fake = np.zeros(len(fake))
  nearest_fake = np.empty(len(real))
  for s, d in distance_blocks(fake, real):
    balls_per_fake[s:s + len(d)] = (d <= radii[None, :]).sum(1)
  for s, d in distance_blocks(real, fake):
    nearest_fake[s:s + len(d)] = d.min(1)
  return float(balls_per_fake.mean() / k), float((nearest_fake <= radii).mean())
