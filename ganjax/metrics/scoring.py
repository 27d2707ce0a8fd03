"""What experiments/evaluate.py does: score a training workdir's EMA samples, or a .npy of another
program's uint8 samples, against a dataset split, and append the row to metrics.jsonl."""

from __future__ import annotations

import json
import os
import time
from typing import Any, Sequence

import ml_collections

from ganjax.errors import ConfigError
from ganjax.metrics.eval_config import feature_net_for
from ganjax.metrics.registry import SAMPLES, Source, default_metrics, parse_metrics, resolve
from ganjax.metrics.sample_files import load_label_file, load_sample_file  # noqa: F401 (re-exported)
from ganjax.metrics.scorer import Scorer
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES
from ganjax.inference.sampling import check_truncation

DEFAULT_NUM_SAMPLES = 10_000


def score(*, metrics: Sequence[str] | str | None = None, run: tuple | None = None,
          samples: str | None = None, labels: str | None = None, num_samples: int | None = None,
          feature_net: str | None = None, feature_net_options: dict | None = None,
          dataset: str | None = None, split: str | None = None,
          keep_features: int = DEFAULT_KEEP_FEATURES, seed: int = 0, ema: bool = True,
          cache_dir: str | None = None, truncation: float | None = None) -> dict[str, Any]:
  """Scores samples; returns the row {step?, source, feature_net, dataset, split, eval/<column>...}.

  run: (experiment, state) of a restored training run (ganjax/train/restore.py, `restore_run`):
  `num_samples` (default 10k) samples of its sampler (EMA weights with `ema`). samples (+ optional
  labels, for "ifid" and "cacc"): that file's first `num_samples` (default all; more than
  the file holds is a ConfigError). The dataset is
  `dataset`, else the run's, else fashion_mnist. feature_net, split: None = the dataset's
  (DatasetSpec.feature_net, .fid_split: fashion_mnist_cnn and test for Fashion-MNIST data,
  emoji32_cnn and train for emoji32). metrics: None = fid,kid,is,pr, plus for a run
  the ones its kind adds (ifid, cacc for class-conditional runs, code_acc for InfoGAN runs, ppl
  for runs with a style space: perceptual path length in W, ganjax/metrics/ppl.py, over as many
  paths as samples).

  A class-conditional run's samples are drawn for balanced requested labels (0, 1, ..., K-1, 0,
  ...): "ifid" compares each class's samples with that class's real images (per-class columns
  intra_class_fid_class_<c>), "cacc" classifies them with the dataset's shipped classifier
  (DatasetSpec.classifier; conditional_accuracy, conditional_accuracy_class_<c>; skipped with a
  note in row["notes"] for datasets without one). "code_acc" reads the `split` images through an
  InfoGAN run's Q head (code_accuracy, code_accuracy_class_<c>; row["code_mapping"][code] =
  matched class or -1).
  truncation: psi of the truncation trick for a run's samples (BigGAN, StyleGAN2; recorded in the
  row). A translation run (pix2pix, CycleGAN, DiscoGAN) is scored by translating the test split
  ("translation", ganjax/metrics/translation.py; `num_samples` caps the inputs per direction).
  Names resolve through ganjax/metrics/registry.py: an unknown metric, or one whose needs the run
  or file lacks, is a ConfigError naming what it needs and the metrics that apply; the scores come
  from the Scorer periodic evaluation runs too (ganjax/metrics/scorer.py).
  """
  if run is None and samples is None:
    raise ConfigError("pass --workdir=DIR (a training run) or --samples=FILE.npy (uint8 NHWC).")
  if labels and samples is None:
    raise ConfigError("--labels=FILE.npy goes with --samples=FILE.npy: the class labels of those samples.")
  if num_samples is not None and num_samples < 2:
    raise ConfigError(f"--num_samples must be >= 2, got {num_samples}.")
  if truncation is not None and samples is not None:
    raise ConfigError("--truncation samples a run with the truncation trick: pass --workdir=DIR "
                      "(a file of samples is scored as it is).")
  exp = run[0] if samples is None else None
  source = Source(exp=exp, samples=samples is not None, labels=bool(labels))
  names = default_metrics(source) if metrics is None else parse_metrics(metrics, source)
  if not names:
    raise ConfigError("--metrics is empty; name some, e.g. --metrics=fid,kid,is,pr.")
  chosen = resolve(names, source)
  if truncation is not None:
    check_truncation(exp, truncation)
  sampling = SAMPLES.has(source)  # a translation run reads its own data
  dataset_cfg = run[0].config.dataset if run is not None else None
  if (dataset is not None and sampling) or dataset_cfg is None:
    dataset_cfg = ml_collections.ConfigDict(dict(name=dataset or "fashion_mnist", source_dir=None,
                                                 data_dir=None))
  images = label_array = None
  if samples is not None:  # checked before any network, dataset or reference statistics is loaded
    feature_net_for(dataset_cfg.name, feature_net)
    images = load_sample_file(samples, dataset_cfg.name)
    if num_samples is not None and num_samples > len(images):  # never score fewer than asked
      raise ConfigError(f"--num_samples={num_samples}, but {samples} holds {len(images)} samples; "
                        f"pass --num_samples={len(images)} or fewer, or drop it to score them all.")
    label_array = load_label_file(labels, len(images), dataset_cfg.name) if labels else None
  elif sampling:
    num_samples = num_samples or DEFAULT_NUM_SAMPLES
  scorer = Scorer(chosen, source, dataset_cfg, split=split, feature_net=feature_net,
                  feature_net_options=feature_net_options, num=num_samples,
                  keep_features=keep_features, cache_dir=cache_dir, seed=seed, ema=ema,
                  truncation=truncation, images=images, labels=label_array)
  row: dict[str, Any] = {"source": "evaluate", "feature_net": scorer.net_name,
                         "metrics": ",".join(names)}
  if truncation is not None:
    row["truncation"] = float(truncation)
  row.update(dataset=dataset_cfg.name, split=scorer.split)
  if samples is not None:
    row["samples"] = os.path.abspath(samples)
  else:
    row["step"] = int(run[1].step)
  scores, extras = scorer(None if samples is not None else run[1])
  row.update(extras)
  row.update({f"eval/{k}": v for k, v in scores.items()})
  if scorer.notes:
    row["notes"] = list(scorer.notes)
  return row


def append_jsonl(path: str, row: dict) -> None:
  """Appends one JSON line (with a "time" field) to `path`."""
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "a") as f:
    f.write(json.dumps({"time": time.time(), **row}) + "\n")
