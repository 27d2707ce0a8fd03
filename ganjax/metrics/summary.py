"""One streaming pass of a feature network over a set of images, kept as what the metrics need.

`summarize(net, batches)` reads uint8 image batches one at a time and keeps:
  * the float64 mean and covariance of the features over all images (FID), accumulated as sums
    about a shift (the first batch's mean) so that large means do not cancel digits;
  * the first `keep_features` feature vectors, float32 (KID, precision/recall, density/coverage
    need the vectors themselves, and their k-NN costs grow as the square of their number);
  * every image's logits, float32 (Inception Score; 50k x 1008 Inception logits are 200 MB);
  * per-class moments when batches carry labels (intra-class FID).
Memory: O(batch + keep_features * D + N * K + D^2 per class), never the images.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

import numpy as np

from ganjax.errors import DataFormatError

DEFAULT_KEEP_FEATURES = 10_000


class MomentAccumulator:
  """Streaming float64 mean and unbiased covariance of rows x [b, D]."""

  def __init__(self):
    self.n = 0
    self.shift = None
    self.sum = None
    self.outer = None

  def add(self, x: np.ndarray) -> None:
    x = np.asarray(x, np.float64)
    if self.shift is None:
      self.shift = x.mean(0)
      self.sum = np.zeros_like(self.shift)
      self.outer = np.zeros((x.shape[1], x.shape[1]))
    d = x - self.shift
    self.n += len(x)
    self.sum += d.sum(0)
    self.outer += d.T @ d

  def moments(self) -> tuple[np.ndarray, np.ndarray]:
    """(mean [D], covariance [D, D]) in float64; needs at least 2 rows."""
    if self.n < 2:
      raise DataFormatError(f"need at least 2 feature vectors for a covariance, got {self.n}.")
    m = self.sum / self.n
    cov = (self.outer - self.n * np.outer(m, m)) / (self.n - 1)
    return self.shift + m, cov


@dataclasses.dataclass
class FeatureSummary:
  """What one pass of a feature network keeps about a set of N images (see the module doc).

  mean [D] and cov [D, D] float64 over all N; features [min(N, keep), D] float32; logits [N, K]
  float32; class_moments {label: (count, mean [D], cov [D, D])} when labels were given.
  """

  num: int
  mean: np.ndarray
  cov: np.ndarray
  features: np.ndarray
  logits: np.ndarray
  class_moments: dict[int, tuple[int, np.ndarray, np.ndarray]] = dataclasses.field(default_factory=dict)

  def to_arrays(self) -> dict[str, np.ndarray]:
    """Flat arrays for np.savez; inverse of `from_arrays`."""
    out = {"num": np.int64(self.num), "mean": self.mean, "cov": self.cov, "features": self.features,
           "logits": self.logits, "class_labels": np.array(sorted(self.class_moments), np.int64)}
    for c, (n, m, s) in self.class_moments.items():
      out[f"class_{c}_num"], out[f"class_{c}_mean"], out[f"class_{c}_cov"] = np.int64(n), m, s
    return out

  @classmethod
  def from_arrays(cls, a) -> "FeatureSummary":
    classes = {int(c): (int(a[f"class_{c}_num"]), a[f"class_{c}_mean"], a[f"class_{c}_cov"])
               for c in a["class_labels"]}
    return cls(int(a["num"]), a["mean"], a["cov"], a["features"], a["logits"], classes)


def summarize(net, batches: Iterable, *, keep_features: int = DEFAULT_KEEP_FEATURES,
              limit: int | None = None) -> FeatureSummary:
  """One pass of `net` over `batches`: each an images uint8 [b, H, W, C] array, or an
  (images, labels int [b]) pair for per-class moments. Stops after `limit` images if given."""
  total = MomentAccumulator()
  per_class: dict[int, MomentAccumulator] = {}
  kept, logits, n = [], [], 0
  for batch in batches:
    images, labels = batch if isinstance(batch, tuple) else (batch, None)
    if limit is not None:
      images = images[:limit - n]
      labels = None if labels is None else labels[:limit - n]
    if len(images) == 0:
      break
    f, l = net(images)
    total.add(f)
    room = keep_features - sum(len(k) for k in kept)
    if room > 0:
      kept.append(f[:room])
    logits.append(l)
    if labels is not None:
      labels = np.asarray(labels)
      for c in np.unique(labels):
        per_class.setdefault(int(c), MomentAccumulator()).add(f[labels == c])
    n += len(images)
    if limit is not None and n >= limit:
      break
  mean, cov = total.moments()
  classes = {c: (acc.n, *acc.moments()) for c, acc in per_class.items() if acc.n >= 2}
  return FeatureSummary(n, mean, cov, np.concatenate(kept), np.concatenate(logits), classes)


def batches_of(images: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 1000):
  """Slices in-memory arrays into the batches `summarize` takes."""
  for s in range(0, len(images), batch_size):
    yield images[s:s + batch_size] if labels is None else (images[s:s + batch_size],
                                                           labels[s:s + batch_size])
