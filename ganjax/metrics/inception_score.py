"""Inception Score (Salimans et al. 2016): exp(E_x KL(p(y|x) || p(y))), over splits.

With the domain classifier its ceiling is the class count (10): confident predictions spread
evenly over the classes. Uniform noise that the classifier maps to one class, or maps to the same
spread everywhere, scores near 1.
"""

from __future__ import annotations

import numpy as np
import scipy.special

from ganjax.errors import DataFormatError


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
  """logits: [N, K] -> (mean, std) of the score over `splits` contiguous chunks (the original's
  protocol). Computed in float64 from log-softmax, so confident predictions lose no precision."""
  logits = np.asarray(logits, np.float64)
  if logits.ndim != 2 or len(logits) < splits:
    raise DataFormatError(f"inception_score needs logits [N >= splits={splits}, K], got {logits.shape}.")
  scores = []
  for chunk in np.array_split(logits, splits):
    logp = scipy.special.log_softmax(chunk, axis=1)
    log_marginal = scipy.special.logsumexp(logp, axis=0) - np.log(len(chunk))
    kl = np.sum(np.exp(logp) * (logp - log_marginal), axis=1)
    scores.append(np.exp(kl.mean()))
  return float(np.mean(scores)), float(np.std(scores))
