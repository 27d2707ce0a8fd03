"""Mode-collapse metrics of 2-D Gaussian mixtures (VEEGAN, Srivastava et al. 2017, Sec. 5.1;
PacGAN, Lin et al. 2018, Sec. 4).

Each sample is assigned to its nearest mode center. It is *high quality* (HQ) when it lies within
3 standard deviations (Euclidean distance) of that center. From the HQ samples:

* modes covered: modes with at least `min_count` HQ samples. VEEGAN counts a mode with one HQ
  sample (min_count=1); PacGAN counts a mode with at least 20 of the 100 samples it expects when
  2500 samples fall on 25 modes, i.e. 1/5 of its expected share. The default (None) is that
  PacGAN rule for any N and K: ceil(0.2 * N / K) HQ samples, so a few stray samples do not make
  a mode count.
* hq_percent: 100 * (#HQ samples) / N.
* reverse KL: KL(q || p) = sum_k q_k log(q_k / p_k), q the histogram of HQ samples over the K
  modes, p uniform (1/K). Modes without samples contribute 0 (0 log 0 = 0); `eps` = 1e-10 inside
  the log only guards log(0) for them. 0 for a perfect uniform cover, log(K / m) for m equally
  hit modes, log(K) for full collapse onto one mode; +inf when no sample is high quality.

The evaluation protocol of both papers draws 2500 samples (NUM_SAMPLES).
"""

from __future__ import annotations

import math

import numpy as np

NUM_SAMPLES = 2500
HQ_STDS = 3.0
KL_EPS = 1e-10


def assign_modes(samples, centers, std: float) -> tuple[np.ndarray, np.ndarray]:
  """samples: [N, 2], centers: [K, 2] -> (nearest mode index [N] int, high quality [N] bool)."""
  samples = np.asarray(samples, np.float64)
  centers = np.asarray(centers, np.float64)
  dist = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)  # [N, K]
  nearest = np.argmin(dist, axis=1)
  return nearest, dist[np.arange(len(samples)), nearest] <= HQ_STDS * std


def mode_histogram(samples, centers, std: float) -> np.ndarray:
  """Number of high-quality samples per mode: [K] int64."""
  nearest, hq = assign_modes(samples, centers, std)
  return np.bincount(nearest[hq], minlength=len(centers)).astype(np.int64)


def toy_metrics(samples, centers, std: float, min_count: int | None = None) -> dict[str, float]:
  """Mode coverage of `samples` [N, 2] float against a mixture of K modes `centers` [K, 2], all
  with standard deviation `std`. Returns {"modes": modes covered in [0, K], "hq_percent": in
  [0, 100], "reverse_kl": >= 0 nats (inf without HQ samples)}; see the module docstring."""
  samples = np.asarray(samples)
  if samples.ndim != 2 or samples.shape[1] != 2 or len(samples) == 0:
    raise ValueError(f"samples must be a non-empty [N, 2] array, got shape {samples.shape}.")
  k = len(centers)
  if min_count is None:
    min_count = math.ceil(0.2 * len(samples) / k)
  counts = mode_histogram(samples, centers, std)
  total = counts.sum()
  if total == 0:
    reverse_kl = math.inf
  else:
    q = counts / total
    reverse_kl = float(np.sum(q * np.log((q + KL_EPS) * k)))
  return {"modes": float(np.sum(counts >= min_count)), "hq_percent": 100.0 * total / len(samples),
          "reverse_kl": max(reverse_kl, 0.0)}
