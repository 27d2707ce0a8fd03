"""Scoring samples against a dataset split: the feature metrics, cached reference statistics.

  net = build_feature_net("fashion_mnist_cnn")
  real = reference_summary(net, config.dataset, "test")          # cached on disk
  scores = evaluate(net, sample_batches, real, ["fid", "kid", "is", "pr"])

Reference statistics are cached per dataset, split, feature network and weight hash (the file name
holds all of them), under $GANJAX_CACHE_DIR or ~/.cache/ganjax/reference_stats; other weights or
another network never reuse a cached file. The metrics themselves, what each reads and how the
ones that read more than two summaries are scored: ganjax/metrics/registry.py, scorer.py.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Sequence

import numpy as np

from ganjax.metrics.data import iter_split
from ganjax.metrics.features import FeatureNet
from ganjax.metrics.registry import FEATURES, METRICS, Inputs, parse_metrics  # noqa: F401 (re-exported)
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES, FeatureSummary, summarize

CACHE_FORMAT = 1  # bump when FeatureSummary's stored arrays change meaning


def default_cache_dir() -> str:
  return os.environ.get("GANJAX_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "ganjax")


def reference_path(net: FeatureNet, dataset: str, split: str, limit: int | None, keep_features: int,
                   cache_dir: str | None = None) -> str:
  name = (f"{dataset}_{split}_n{limit or 'all'}_keep{keep_features}_{net.cache_key}"
          f"_v{CACHE_FORMAT}.npz")
  return os.path.join(cache_dir or default_cache_dir(), "reference_stats", name)


def reference_summary(net: FeatureNet, dataset_cfg: Any, split: str = "test", *,
                      limit: int | None = None, keep_features: int = DEFAULT_KEEP_FEATURES,
                      cache_dir: str | None = None, use_cache: bool = True) -> FeatureSummary:
  """The summary of a dataset split (its first `limit` examples, with labels), from the cache when
  a file for this dataset, split, network and weight hash exists, else computed and cached."""
  path = reference_path(net, dataset_cfg.name, split, limit, keep_features, cache_dir)
  if use_cache and os.path.isfile(path):
    with np.load(path) as arrays:
      return FeatureSummary.from_arrays(arrays)
  summary = summarize(net, iter_split(dataset_cfg, split, limit=limit), keep_features=keep_features)
  if use_cache:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, **summary.to_arrays())
    os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
  return summary


def evaluate(net: FeatureNet, fake_batches: Iterable, real: FeatureSummary | None,
             metrics: Sequence[str], *, keep_features: int = DEFAULT_KEEP_FEATURES,
             limit: int | None = None) -> dict[str, float]:
  """Scores samples (uint8 batches, or (images, labels) pairs for "ifid") against `real`.
  Returns {column: value} with "num_samples" and the columns of every requested metric that reads
  the feature summaries (ganjax/metrics/registry.py; the others are the Scorer's:
  ganjax/metrics/scorer.py)."""
  metrics = [METRICS.get(n) for n in parse_metrics(metrics)]
  fake = summarize(net, fake_batches, keep_features=keep_features, limit=limit)
  scores: dict[str, float] = {"num_samples": float(fake.num)}
  for m in metrics:
    if FEATURES in m.reads:
      scores.update(m.compute(Inputs(real=real, fake=fake)))
  return scores


def format_table(scores: dict[str, float]) -> str:
  """A two-column text table of scores; KID x 1e3 under a name that says so (kid.display_scores)."""
  from ganjax.metrics.kid import display_scores
  scores = display_scores(scores)
  width = max(len(k) for k in scores)
  lines = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
  lines += [f"{k:<{width}}  {v:.6g}" for k, v in scores.items()]
  return "\n".join(lines)
