"""What experiments/evaluate.py does: score a training workdir's EMA samples, or a .npy of another
program's uint8 samples, against a dataset split, and append the row to metrics.jsonl."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Sequence

import ml_collections
import numpy as np

from ganjax.errors import ConfigError, DataFormatError
from ganjax.metrics.evaluation import evaluate, parse_metrics, reference_summary
from ganjax.metrics.features import build_feature_net
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES, batches_of

DEFAULT_NUM_SAMPLES = 10_000


def load_samples(path: str, labels_path: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
  """A .npy of uint8 [N, H, W, C] samples (memory-mapped: read batch by batch), and optional labels [N]."""
  if not os.path.isfile(path):
    raise DataFormatError(f"--samples file {path!r} not found.")
  samples = np.load(path, mmap_mode="r")
  if samples.dtype != np.uint8 or samples.ndim != 4:
    raise DataFormatError(f"{path}: expected a uint8 [N, H, W, C] array, got {samples.dtype} "
                          f"{samples.shape}; write samples with ganjax.images.to_uint8 (values 0..255).")
  labels = None
  if labels_path:
    labels = np.load(labels_path)
    if labels.shape != (len(samples),):
      raise DataFormatError(f"{labels_path}: expected labels [{len(samples)}], got {labels.shape}.")
  return samples, labels


def score(*, metrics: Sequence[str] | str, workdir: str | None = None, samples: str | None = None,
          labels: str | None = None, num_samples: int | None = None, feature_net: str = "fashion_mnist_cnn",
          feature_net_options: dict | None = None, dataset: str | None = None, split: str = "test",
          keep_features: int = DEFAULT_KEEP_FEATURES, seed: int = 0, ema: bool = True,
          step: int | None = None, cache_dir: str | None = None) -> dict[str, Any]:
  """Scores samples; returns the row {step?, source, feature_net, dataset, split, eval/<column>...}.

  workdir alone: `num_samples` (default 10k) samples of its newest (or `step`) checkpoint's EMA
  generator. samples (+ optional labels, for "ifid"): that file's first `num_samples` (default all);
  the dataset is `dataset`, else the workdir's, else fashion_mnist.
  """
  metrics = parse_metrics(metrics)
  if not metrics:
    raise ConfigError("--metrics is empty; name some, e.g. --metrics=fid,kid,is,pr.")
  if workdir is None and samples is None:
    raise ConfigError("pass --workdir=DIR (a training run) or --samples=FILE.npy (uint8 NHWC).")
  if num_samples is not None and num_samples < 2:
    raise ConfigError(f"--num_samples must be >= 2, got {num_samples}.")
  row: dict[str, Any] = {"source": "evaluate", "feature_net": feature_net, "metrics": ",".join(metrics)}
  dataset_cfg = None
  if workdir is not None:
    from ganjax.sampling import load_config
    dataset_cfg = load_config(workdir).dataset
  if dataset is not None or dataset_cfg is None:
    dataset_cfg = ml_collections.ConfigDict(dict(name=dataset or "fashion_mnist", source_dir=None,
                                                 data_dir=None))
  row.update(dataset=dataset_cfg.name, split=split)
  net = build_feature_net(feature_net, **(feature_net_options or {}))
  if samples is not None:
    images, label_array = load_samples(samples, labels)
    batches = batches_of(images, label_array, batch_size=net.batch_size)
    row["samples"] = os.path.abspath(samples)
  else:
    from ganjax.sampling import iter_samples, restore_run
    exp, state = restore_run(workdir, step)
    num_samples = num_samples or DEFAULT_NUM_SAMPLES
    batches = iter_samples(exp, state, num_samples, ema=ema, seed=seed, batch_size=net.batch_size)
    row["step"] = int(state.step)
  real = reference_summary(net, dataset_cfg, split, keep_features=keep_features, cache_dir=cache_dir)
  scores = evaluate(net, batches, real, metrics, keep_features=keep_features, limit=num_samples)
  row.update({f"eval/{k}": v for k, v in scores.items()})
  return row


def append_jsonl(path: str, row: dict) -> None:
  """Appends one JSON line (with a "time" field) to `path`."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "a") as f:
    f.write(json.dumps({"time": time.time(), **row}) + "\n")
