"""Metrics for class-conditional and latent-code GANs.

  conditional accuracy   a class-conditional generator's samples of each requested class, classified
                         by the dataset's shipped CNN (DatasetSpec.classifier: fashion_mnist_cnn,
                         emoji32_cnn; ganjax/metrics/classifier.py): per-class accuracy and its
                         mean over classes (the "cacc" metric).
  intra-class FID        FID per requested class and its mean (the "ifid" metric; fid.py): per-class
                         figures come from `per_class_fid`.
  code accuracy          InfoGAN's Q head reads the dataset's test images; its argmax categorical
                         code, matched one-to-one to the true classes by the Hungarian algorithm,
                         is a clustering accuracy (the "code_acc" metric).
  k-means baseline       the same matched accuracy for k-means on raw pixels: what an unsupervised
                         code has to beat.

Runs are read through experiments (`exp.objective`, `exp.sample`, `exp.data_shape`) and the
capabilities their objectives declare (ganjax/core/capabilities.py), so this module imports
nothing from ganjax.train. Which metric reads what: ganjax/metrics/registry.py.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import jax
import numpy as np
import scipy.optimize

from ganjax.core import capabilities as caps
from ganjax.core.capabilities import CodeSampler, Conditional, require, supports
from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError, DataFormatError
from ganjax.images import to_uint8
from ganjax.metrics import fid as fid_lib
from ganjax.metrics.features import accepts_shape
from ganjax.metrics.summary import FeatureSummary
from ganjax.inference.sampling import cached_jit, check_truncation

# Metric names that read the run (its requested labels, its Q head), not just two feature summaries
# (their registry entries: ganjax/metrics/registry.py).
CONDITIONAL_ACCURACY = "cacc"
CODE_ACCURACY = "code_acc"
LABELLED_METRICS = ("ifid", CONDITIONAL_ACCURACY)  # need the labels the samples were drawn for


# ------------------------------------------------------------------------------ pure metrics

def conditional_accuracy(predicted, requested, num_classes: int) -> dict[str, Any]:
  """predicted, requested: int [N] class indices. Returns {"conditional_accuracy": mean over the
  classes requested at least once of that class's accuracy, "per_class": [num_classes] list (NaN
  for a class never requested)}. The class mean weighs every class alike, however many samples."""
  predicted, requested = np.asarray(predicted).reshape(-1), np.asarray(requested).reshape(-1)
  if predicted.shape != requested.shape:
    raise DataFormatError(f"conditional_accuracy: {predicted.size} predictions for {requested.size} "
                          f"requested labels; pass one prediction per sample.")
  per_class = []
  for c in range(num_classes):
    mask = requested == c
    per_class.append(float(np.mean(predicted[mask] == c)) if mask.any() else float("nan"))
  present = [a for a in per_class if not np.isnan(a)]
  if not present:
    raise DataFormatError("conditional_accuracy: no requested label lies in "
                          f"0..{num_classes - 1}.")
  return {"conditional_accuracy": float(np.mean(present)), "per_class": per_class}


def confusion_matrix(codes, labels, k: int) -> np.ndarray:
  """counts [K, K'] int64 of (code, label) pairs; K, K' >= k, grown to hold every value seen."""
  codes, labels = np.asarray(codes, np.int64).reshape(-1), np.asarray(labels, np.int64).reshape(-1)
  if codes.shape != labels.shape:
    raise DataFormatError(f"{codes.size} codes for {labels.size} labels; pass one code per label.")
  if codes.size and (codes.min() < 0 or labels.min() < 0):
    raise DataFormatError("codes and labels must be non-negative integers.")
  rows = max(k, int(codes.max()) + 1 if codes.size else 0)
  cols = max(k, int(labels.max()) + 1 if labels.size else 0)
  counts = np.zeros((rows, cols), np.int64)
  np.add.at(counts, (codes, labels), 1)
  return counts


def matched_accuracy(codes, labels, k: int) -> tuple[float, dict[int, int]]:
  """Accuracy of unsupervised codes [N] against labels [N] under the best one-to-one map of codes
  to classes (Hungarian algorithm on the confusion matrix, scipy's linear_sum_assignment).
  Returns (accuracy, {code: class}); with more codes than classes the unmatched codes count as
  wrong and are absent from the map."""
  counts = confusion_matrix(codes, labels, k)
  if not counts.sum():
    raise DataFormatError("matched_accuracy needs at least one (code, label) pair.")
  rows, cols = scipy.optimize.linear_sum_assignment(counts, maximize=True)
  mapping = {int(r): int(c) for r, c in zip(rows, cols)}
  return float(counts[rows, cols].sum() / counts.sum()), mapping


def matched_per_class(codes, labels, mapping: dict[int, int], num_classes: int) -> list[float]:
  """Per true class, the share of its examples whose code maps to it (NaN for an absent class)."""
  codes, labels = np.asarray(codes).reshape(-1), np.asarray(labels).reshape(-1)
  mapped = np.array([mapping.get(int(c), -1) for c in codes], np.int64)
  return conditional_accuracy(mapped, labels, num_classes)["per_class"]


def kmeans_baseline(images, labels, k: int, seed: int = 0, n_init: int = 10) -> float:
  """Matched accuracy of k-means (sklearn, k clusters, `n_init` >= 10 restarts) on raw pixels
  scaled to [0, 1]: images uint8 [N, H, W, C], labels int [N]."""
  from sklearn.cluster import KMeans
  if n_init < 10:
    raise ConfigError(f"kmeans_baseline: n_init must be >= 10 (restarts), got {n_init}.")
  x = np.asarray(images, np.float32).reshape(len(images), -1) / 255.0
  clusters = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x)
  return matched_accuracy(clusters, labels, k)[0]


def per_class_fid(real: FeatureSummary, fake: FeatureSummary) -> dict[int, float]:
  """{class: FID between the classes' moments} for the classes present in both summaries (their
  mean is fid.intra_class_fid). A DataFormatError when no class is in both."""
  classes = sorted(set(real.class_moments) & set(fake.class_moments))
  if not classes:
    fid_lib.intra_class_fid(real, fake)  # raises, naming the fix
  return {c: fid_lib.frechet_distance(real.class_moments[c][1], real.class_moments[c][2],
                                      fake.class_moments[c][1], fake.class_moments[c][2])
          for c in classes}


def per_class_columns(name: str, per_class: Iterable[float] | dict[int, float]) -> dict[str, float]:
  """{f"{name}_class_{c}": value} for the classes with a finite value."""
  items = per_class.items() if isinstance(per_class, dict) else enumerate(per_class)
  return {f"{name}_class_{c}": float(v) for c, v in items if np.isfinite(v)}


# ------------------------------------------------------------------------------ reading a run

def run_num_classes(exp) -> int:
  """Classes a run's generator is conditioned on (0: unconditional; core/capabilities.py
  `Conditional`)."""
  return caps.num_classes(exp.objective)


def run_code_dim(exp) -> int:
  """The number of values of an InfoGAN run's categorical code (0: the run has none): the
  "categorical" code of a `CodeSampler`'s prior."""
  if not supports(exp.objective, CodeSampler):
    return 0
  return int(exp.objective.prior.categorical.get("categorical", 0))


def iter_labelled_samples(exp, state, labels, *, seed: int = 0, ema: bool = True,
                          batch_size: int = 256,
                          truncation: float | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
  """Yields (uint8 images [b, H, W, C], labels int64 [b]): samples of a class-conditional run,
  each drawn for its entry of `labels` (cond={"label": ...}); one batch in host memory at a time.
  truncation: psi of the truncation trick (ganjax/inference/sampling.py `check_truncation`)."""
  require(exp, Conditional, "sampling for requested class labels",
          "a class-conditional family (cgan, acgan, projection)")
  k = run_num_classes(exp)
  check_truncation(exp, truncation)
  labels = np.asarray(labels, np.int64).reshape(-1)
  if labels.size and (labels.min() < 0 or labels.max() >= k):
    raise ConfigError(f"requested labels must lie in 0..{k - 1}, got [{labels.min()}, {labels.max()}].")
  kw = {} if truncation is None else {"truncation": truncation}
  key = jax.random.PRNGKey(seed)
  for i, s in enumerate(range(0, len(labels), batch_size)):
    chunk = labels[s:s + batch_size]
    out = exp.sample(state, jax.random.fold_in(key, i), len(chunk), ema=ema,
                     cond={"label": np.asarray(chunk, np.int32)}, **kw)
    yield to_uint8(jax.device_get(out)), chunk


def balanced_labels(num: int, num_classes: int) -> np.ndarray:
  """0, 1, ..., K-1, 0, 1, ...: `num` labels, every prefix as balanced as it can be."""
  return np.arange(num, dtype=np.int64) % num_classes


def sample_per_class(exp, state, num_per_class: int, seed: int = 0, *, ema: bool = True,
                     batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
  """(uint8 images [K*n, H, W, C], labels int64 [K*n]): n samples of each class, class-major
  (labels 0 x n, 1 x n, ...), from a class-conditional run."""
  k = run_num_classes(exp)
  if num_per_class < 1:
    raise ConfigError(f"num_per_class must be >= 1, got {num_per_class}.")
  labels = np.repeat(np.arange(k, dtype=np.int64), num_per_class)
  parts = list(iter_labelled_samples(exp, state, labels, seed=seed, ema=ema, batch_size=batch_size))
  if not parts:
    raise ConfigError("this run is not class-conditional; sample_per_class needs one.")
  return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _code_fn(exp):
  objective = exp.objective

  def codes(state, x):
    return jax.numpy.argmax(objective.critic_eval(state, x).q["categorical"], axis=-1)

  return cached_jit(exp, "codes", lambda: jax.jit(codes))


def infogan_code_predictions(exp, state, images, batch_size: int = 500) -> np.ndarray:
  """InfoGAN's Q-head categorical code (argmax of its logits) [N] int64 for uint8 images
  [N, H, W, C], read as the training data is (x / 127.5 - 1), in eval mode, in fixed-size
  (zero-padded) batches so that it compiles once."""
  if not run_code_dim(exp):
    raise ConfigError("this run has no categorical code (no InfoGAN Q head); code_acc needs an "
                      "infogan run.")
  images = np.asarray(images)
  if images.dtype != np.uint8 or tuple(images.shape[1:]) != tuple(exp.data_shape):
    raise DataFormatError(f"infogan_code_predictions takes uint8 [N, {', '.join(map(str, exp.data_shape))}] "
                          f"images, got {images.dtype} {list(images.shape)}.")
  fn = _code_fn(exp)
  out = []
  for s in range(0, len(images), batch_size):
    batch = images[s:s + batch_size]
    n = len(batch)
    if n < batch_size:
      batch = np.concatenate([batch, np.zeros((batch_size - n, *batch.shape[1:]), np.uint8)])
    x = batch.astype(np.float32) / 127.5 - 1.0
    out.append(np.asarray(jax.device_get(fn(state, x)))[:n])
  return np.concatenate(out).astype(np.int64) if out else np.zeros((0,), np.int64)


# ------------------------------------------------------------------------------ scoring helpers

def dataset_classifier(dataset: str, image_shape) -> str | None:
  """The FEATURE_NETS name whose logits are `dataset`'s classes (DatasetSpec.classifier) when it
  reads images of `image_shape`, else None."""
  name = dataset_spec(dataset).classifier
  return name if name is not None and accepts_shape(name, image_shape) else None


def classifier_note(dataset: str, image_shape) -> str | None:
  """Why no shipped classifier can judge this dataset's images (None when one can)."""
  if dataset_classifier(dataset, image_shape) is None:
    return (f"conditional_accuracy skipped: no shipped classifier knows the classes of dataset "
            f"{dataset!r} {tuple(image_shape)} (fashion_mnist_cnn knows Fashion-MNIST's, "
            f"emoji32_cnn emoji32's).")
  return None


class PredictionTap:
  """Passes (images, labels) batches through unchanged while the shipped classifier (a FeatureNet:
  ganjax/metrics/features.py) predicts each image's class, so one stream of samples serves the
  feature metrics and conditional accuracy."""

  def __init__(self, batches: Iterable, classifier):
    self.batches, self.classifier = batches, classifier
    self.predicted: list[np.ndarray] = []
    self.requested: list[np.ndarray] = []

  def __iter__(self):
    for images, labels in self.batches:
      self.predicted.append(self.classifier(images)[1].argmax(-1))
      self.requested.append(np.asarray(labels))
      yield images, labels

  def scores(self, num_classes: int, limit: int | None = None) -> dict[str, float]:
    """{"conditional_accuracy", "conditional_accuracy_class_<c>"...} over the first `limit`."""
    predicted = np.concatenate(self.predicted)[:limit]
    requested = np.concatenate(self.requested)[:limit]
    acc = conditional_accuracy(predicted, requested, num_classes)
    return {"conditional_accuracy": acc["conditional_accuracy"],
            **per_class_columns("conditional_accuracy", acc["per_class"])}


def code_scores(codes, labels, num_codes: int, num_classes: int) -> tuple[dict[str, float], dict]:
  """({"code_accuracy", "code_accuracy_class_<c>"...}, {code: class}) for InfoGAN's codes [N]
  against the true labels [N]."""
  accuracy, mapping = matched_accuracy(codes, labels, max(num_codes, num_classes))
  per_class = matched_per_class(codes, labels, mapping, num_classes)
  return {"code_accuracy": accuracy, **per_class_columns("code_accuracy", per_class)}, mapping


def run_code_scores(exp, state, images, labels, num_classes: int) -> tuple[dict[str, float], dict]:
  """`code_scores` of an InfoGAN run's Q head on images uint8 [N, ...] with true labels [N]."""
  return code_scores(infogan_code_predictions(exp, state, images), labels, run_code_dim(exp),
                     num_classes)


def extra_metrics(exp) -> list[str]:
  """The metrics a run's kind adds to the defaults: ifid and cacc for class-conditional runs,
  code_acc for InfoGAN runs."""
  extra = list(LABELLED_METRICS) if run_num_classes(exp) else []
  return extra + ([CODE_ACCURACY] if run_code_dim(exp) else [])
