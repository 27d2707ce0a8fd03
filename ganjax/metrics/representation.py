"""How much an encoder's latents say about the data (BiGAN / ALI, VAE): numpy and scikit-learn only.

reconstruction_ratio: mean |x - G(E(x))| over mean |x - x'|, x' another image of the same set; 1
  means reconstructions are no closer to their inputs than a random other image, 0 is exact.
linear_probe_accuracy: test accuracy of a logistic regression on (standardised) features, the
  usual measure of a representation (Donahue et al. 2017, Sec. 4).
"""

from __future__ import annotations

import numpy as np


def derangement(n: int, seed: int) -> np.ndarray:
  """A random permutation [n] int64 of 0..n-1 with no fixed points (n >= 2): one random cycle
  through all n indices, so every element is sent to another."""
  if n < 2:
    raise ValueError(f"a permutation without fixed points needs n >= 2, got {n}.")
  order = np.random.default_rng(seed).permutation(n)
  perm = np.empty(n, np.int64)
  perm[order] = np.roll(order, -1)  # order[i] -> order[i + 1]
  return perm


def reconstruction_ratio(x: np.ndarray, x_rec: np.ndarray, seed: int = 0) -> float:
  """mean|x - x_rec| / mean|x - x[perm]| with perm a random derangement (seeded).

  x, x_rec: [N, ...] images on one scale (uint8 0..255 or float in [-1, 1]), N >= 2, x_rec[i] the
  reconstruction G(E(x[i])). Returns a float >= 0: below 1 means the reconstructions carry
  information about their own input beyond what any image of the set shares.
  """
  x = np.asarray(x, np.float64)
  x_rec = np.asarray(x_rec, np.float64)
  if x.shape != x_rec.shape:
    raise ValueError(f"x and x_rec must have one shape, got {x.shape} and {x_rec.shape}.")
  baseline = np.mean(np.abs(x - x[derangement(len(x), seed)]))
  if baseline == 0:
    raise ValueError("all images are identical: the ratio is undefined.")
  return float(np.mean(np.abs(x - x_rec)) / baseline)


def linear_probe_accuracy(train_feats: np.ndarray, train_labels: np.ndarray,
                          test_feats: np.ndarray, test_labels: np.ndarray, *,
                          max_iter: int = 5000, c: float = 1.0) -> float:
  """Accuracy in [0, 1] on the test set of a multinomial logistic regression trained on the
  train set's features.

  train_feats [N, F], test_feats [M, F]: float features (e.g. E(x) latents); train_labels [N],
  test_labels [M]: integer classes. Features are standardised with the train set's mean and std;
  `c` is the inverse L2 strength; lbfgs runs up to `max_iter` iterations (enough to converge on
  a few thousand examples of a few hundred features).
  """
  from sklearn.linear_model import LogisticRegression
  from sklearn.pipeline import make_pipeline
  from sklearn.preprocessing import StandardScaler

  train_feats = np.asarray(train_feats, np.float64).reshape(len(train_feats), -1)
  test_feats = np.asarray(test_feats, np.float64).reshape(len(test_feats), -1)
  probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
  probe.fit(train_feats, np.asarray(train_labels))
  return float(np.mean(probe.predict(test_feats) == np.asarray(test_labels)))
