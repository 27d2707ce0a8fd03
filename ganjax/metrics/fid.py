"""Frechet Inception Distance (Heusel et al. 2017) and its per-class average for conditional models.

FID = |mu_1 - mu_2|^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2)), the Frechet distance between Gaussians
fitted to two feature sets, computed in float64 with scipy.linalg.sqrtm as pytorch-fid does. It
depends on the feature network: a domain-net FID is not comparable to an Inception FID.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from ganjax.errors import DataFormatError
from ganjax.metrics.summary import FeatureSummary


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
  """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2); mu: [D], sigma: [D, D].

  A singular product gets `eps` added to both diagonals (pytorch-fid's fallback); the tiny
  imaginary part sqrtm returns from round-off is dropped, a large one is an error.
  """
  mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
  s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
  if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
    raise DataFormatError(f"frechet_distance: mismatched shapes {mu1.shape}, {s1.shape}, {mu2.shape}, "
                          f"{s2.shape}; both sides must use the same feature network.")
  diff = mu1 - mu2
  with warnings.catch_warnings():  # a singular product is handled just below
    warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
    covmean = scipy.linalg.sqrtm(s1 @ s2)
  if not np.isfinite(covmean).all():
    offset = np.eye(len(s1)) * eps
    covmean = scipy.linalg.sqrtm((s1 + offset) @ (s2 + offset))
  if np.iscomplexobj(covmean):
    if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
      raise ValueError(f"sqrtm has a large imaginary component {np.max(np.abs(covmean.imag)):.3g}; "
                       f"the covariances are ill-conditioned (use more samples).")
    covmean = covmean.real
  return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def fid(a: FeatureSummary, b: FeatureSummary) -> float:
  """FID between two summaries (their full-set float64 moments)."""
  return frechet_distance(a.mean, a.cov, b.mean, b.cov)


def intra_class_fid(a: FeatureSummary, b: FeatureSummary) -> float:
  """Mean over classes present in both summaries of the per-class FID (Miyato & Koyama 2018).

  Both summaries need labels (for generated samples: the labels they were conditioned on)."""
  classes = sorted(set(a.class_moments) & set(b.class_moments))
  if not classes:
    raise DataFormatError("intra-class FID needs labelled images on both sides (a conditional model's "
                          "sample labels, e.g. --labels=FILE.npy); no class is present in both.")
  return float(np.mean([frechet_distance(a.class_moments[c][1], a.class_moments[c][2],
                                         b.class_moments[c][1], b.class_moments[c][2])
                        for c in classes]))
