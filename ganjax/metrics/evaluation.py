"""Scoring samples against a dataset split: metric registry, cached reference statistics.

  net = build_feature_net("fashion_mnist_cnn")
  real = reference_summary(net, config.dataset, "test")          # cached on disk
  scores = evaluate(net, sample_batches, real, ["fid", "kid", "is", "pr"])

Reference statistics are cached per dataset, split, feature network and weight hash (the file name
holds all of them), under $GANJAX_CACHE_DIR or ~/.cache/ganjax/reference_stats; other weights or
another network never reuse a cached file.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ganjax.metrics import conditional
from ganjax.metrics import fid as fid_lib
from ganjax.metrics import inception_score as is_lib
from ganjax.metrics import kid as kid_lib
from ganjax.metrics import prdc
from ganjax.metrics.data import iter_split
from ganjax.metrics.features import FeatureNet
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES, FeatureSummary, summarize
from ganjax.errors import ConfigError
from ganjax.registry import Registry

CACHE_FORMAT = 1  # bump when FeatureSummary's stored arrays change meaning

# name -> fn(real: FeatureSummary, fake: FeatureSummary) -> {column: value}
METRICS: Registry[Callable[[FeatureSummary, FeatureSummary], dict[str, float]]] = Registry("metric")


@METRICS.register("fid")
def _fid(real, fake):
  return {"fid": fid_lib.fid(real, fake)}


@METRICS.register("kid")
def _kid(real, fake):
  mean, std = kid_lib.kernel_inception_distance(real.features, fake.features)
  return {"kid_mean": mean, "kid_std": std}


@METRICS.register("is")
def _is(real, fake):
  del real
  mean, std = is_lib.inception_score(fake.logits)
  return {"is_mean": mean, "is_std": std}


def _equal_sized(real: FeatureSummary, fake: FeatureSummary) -> np.ndarray:
  """The first len(fake.features) real vectors: k-NN balls shrink as a set grows, so precision,
  recall, density and coverage compare sets of one size (the papers' protocol)."""
  return real.features[:len(fake.features)]


@METRICS.register("pr")
def _pr(real, fake):
  precision, recall = prdc.precision_recall(_equal_sized(real, fake), fake.features)
  return {"precision": precision, "recall": recall}


@METRICS.register("dc")
def _dc(real, fake):
  density, coverage = prdc.density_coverage(_equal_sized(real, fake), fake.features)
  return {"density": density, "coverage": coverage}


@METRICS.register("ifid")
def _ifid(real, fake):
  per_class = conditional.per_class_fid(real, fake)
  return {"intra_class_fid": float(np.mean(list(per_class.values()))),
          **conditional.per_class_columns("intra_class_fid", per_class)}


# Metrics that read the run, not only the two summaries (ganjax/metrics/conditional.py): scoring.py
# and periodic.py compute them; `evaluate` leaves them out.
RUN_METRICS = (conditional.CONDITIONAL_ACCURACY, conditional.CODE_ACCURACY, "translation",
               "ppl")  # ppl: ganjax/metrics/ppl.py


def _run_metric(name: str):
  def fn(real, fake):
    raise ConfigError(f"metric {name!r} reads the run or the sample labels; score it with "
                      f"ganjax.metrics.scoring.score or periodic evaluation.")
  return fn


for _name in RUN_METRICS:
  METRICS.register(_name, _run_metric(_name))


def parse_metrics(names: str | Sequence[str]) -> list[str]:
  """"fid,kid" or ["fid", "kid"] -> checked names; an unknown one raises ConfigError listing all."""
  if isinstance(names, str):
    names = names.split(",")
  if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
    raise ConfigError(f"metrics must be comma-separated names such as 'fid,kid', got {names!r}. "
                      f"Valid metric names: {', '.join(METRICS.names())}.")
  names = [n.strip() for n in names if n.strip()]
  for n in names:
    METRICS.get(n)
  return names


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


def evaluate(net: FeatureNet, fake_batches: Iterable, real: FeatureSummary, metrics: Sequence[str], *,
             keep_features: int = DEFAULT_KEEP_FEATURES, limit: int | None = None) -> dict[str, float]:
  """Scores samples (uint8 batches, or (images, labels) pairs for "ifid") against `real`.
  Returns {column: value} with every requested metric's columns and "num_samples" (RUN_METRICS
  are the caller's: ganjax/metrics/scoring.py)."""
  metrics = parse_metrics(metrics)
  fake = summarize(net, fake_batches, keep_features=keep_features, limit=limit)
  scores: dict[str, float] = {"num_samples": float(fake.num)}
  for name in metrics:
    if name not in RUN_METRICS:
      scores.update(METRICS.get(name)(real, fake))
  return scores


def format_table(scores: dict[str, float]) -> str:
  """A two-column text table of scores."""
  width = max(len(k) for k in scores)
  lines = [f"{'metric':<{width}}  value", f"{'-' * width}  {'-' * 12}"]
  lines += [f"{k:<{width}}  {v:.6g}" for k, v in scores.items()]
  return "\n".join(lines)
