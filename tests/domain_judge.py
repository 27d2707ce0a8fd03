"""The learning tests' judge: samples read by the shipped Fashion-MNIST classifier
(ganjax/metrics/classifier.py, fashion_mnist_cnn; it reads fashion_mnist32's 32x32 images by their
centre 28x28), scored against the test split and against two broken generators computed here, so
that every bar a learning test sets is shown to fail on the broken case it guards against:

  mean_images   the train split's mean image, repeated: what a generator that collapsed onto the
                data's first moment emits (it covers one class; its FID is ~300)
  noise_images  uniform uint8 noise: a generator that learned nothing (two classes; FID ~300)

  coverage      classes holding at least COVERED_SHARE of the samples (a tenth of a class's
                expected 10%) under the classifier's argmax
  fid           Frechet distance of the classifier's 128-d features (its penultimate layer) to
                those of the test split's first REAL images; comparable with other domain-net
                FIDs of the same reference only (docs/metrics.md)
  conditional_accuracy  the share of samples drawn for a requested class that the classifier
                puts in that class (mean over classes, ganjax/metrics/conditional.py), and the
                same predictions against a derangement of the requested labels: what a generator
                that ignores its label scores (chance, ~0.1)
"""

from __future__ import annotations

import functools

import ml_collections
import numpy as np

from ganjax.metrics import fid as fid_lib
from ganjax.metrics.data import load_split
from ganjax.metrics.summary import MomentAccumulator

REAL = 2000  # test images of the reference statistics
COVERED_SHARE = 0.01
NUM_CLASSES = 10


def _dataset(name: str) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(name=name, source_dir=None, data_dir=None))


@functools.lru_cache(maxsize=None)
def net():
  from ganjax.metrics.features import build_feature_net
  return build_feature_net("fashion_mnist_cnn")


def _moments(features: np.ndarray):
  acc = MomentAccumulator()
  acc.add(features)
  return acc.moments()


@functools.lru_cache(maxsize=None)
def _reference(dataset: str):
  images, _ = load_split(_dataset(dataset), "test", limit=REAL)
  return _moments(net()(images)[0])


def judge(images: np.ndarray, dataset: str) -> dict:
  """{"fid", "coverage", "counts", "predicted"} of uint8 samples [N, H, W, 1] of `dataset`
  (fashion_mnist or fashion_mnist32)."""
  features, logits = net()(images)
  predicted = np.argmax(logits, -1)
  counts = np.bincount(predicted, minlength=NUM_CLASSES)
  return {"fid": float(fid_lib.frechet_distance(*_moments(features), *_reference(dataset))),
          "coverage": int(np.sum(counts >= COVERED_SHARE * len(images))),
          "counts": counts.tolist(), "predicted": predicted}


@functools.lru_cache(maxsize=None)
def _train_mean(dataset: str) -> np.ndarray:
  images, _ = load_split(_dataset(dataset), "train", limit=10_000)
  return np.round(images.astype(np.float64).mean(0)).astype(np.uint8)


def mean_images(dataset: str, n: int) -> np.ndarray:
  """The train split's (first 10,000 images') mean image, n times: uint8 [n, H, W, 1]."""
  return np.repeat(_train_mean(dataset)[None], n, 0)


def noise_images(dataset: str, n: int, seed: int = 0) -> np.ndarray:
  shape = _train_mean(dataset).shape
  return np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)


def baselines(dataset: str, n: int) -> dict:
  """{"mean image": judge(...), "noise": judge(...)} for n images of each broken generator."""
  return {"mean image": judge(mean_images(dataset, n), dataset),
          "noise": judge(noise_images(dataset, n), dataset)}


def conditional_accuracies(predicted, requested) -> tuple[float, float]:
  """(conditional accuracy of predictions for the requested labels, the same predictions against
  a fixed derangement of the requested labels: a label-blind generator's score)."""
  from ganjax.metrics.conditional import conditional_accuracy
  from ganjax.metrics.representation import derangement
  requested = np.asarray(requested)
  blind = requested[derangement(len(requested), seed=0)]
  return (conditional_accuracy(predicted, requested, NUM_CLASSES)["conditional_accuracy"],
          conditional_accuracy(predicted, blind, NUM_CLASSES)["conditional_accuracy"])


def learned(scores: dict, broken: dict, *, min_coverage: int = 8, fid_margin: float = 0.5) -> list:
  """The bars a learning run's samples must clear, as a list of failures (empty: all cleared):
  coverage >= min_coverage classes, and FID below fid_margin x the lower of the broken
  generators' FIDs."""
  failures = []
  if scores["coverage"] < min_coverage:
    failures.append(f"covers {scores['coverage']} classes < {min_coverage}: {scores['counts']}")
  bar = fid_margin * min(b["fid"] for b in broken.values())
  if not scores["fid"] < bar:
    failures.append(f"FID {scores['fid']:.1f} not below {fid_margin} x the broken generators' "
                    f"{ {k: round(b['fid'], 1) for k, b in broken.items()} }")
  return failures
