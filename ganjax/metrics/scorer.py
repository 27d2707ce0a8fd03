"""One evaluation: the resolved metrics (ganjax/metrics/registry.py) and what they read, built once,
then scored per state. evaluate.py (ganjax/metrics/scoring.py) and periodic evaluation during
training (ganjax/metrics/periodic.py) both run this code.

  scorer = Scorer(resolve("fid,ifid,cacc", Source(exp=exp)), Source(exp=exp), config.dataset,
                  num=2000, seed=seed)
  scores, extras = scorer(state)    # {column: value}, {row field: value} (code_mapping)

A source that samples (a run whose family samples, or a file of samples) is read in one streaming
pass through the feature network (the "num_samples" column); the metrics that read the feature
summaries are computed from it in the requested order, taps (cacc's classifier) see the same
batches on the way, and the other metrics follow in the registry's order.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
from absl import logging

from ganjax.data.sources import dataset_spec
from ganjax.metrics import conditional as cond
from ganjax.metrics.eval_config import feature_net_for, reference_split
from ganjax.metrics.evaluation import evaluate, reference_summary
from ganjax.metrics.features import build_feature_net
from ganjax.metrics.registry import FEATURES, LABELS, METRICS, REAL, SAMPLES, Inputs, Metric, Source
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES, batches_of
from ganjax.inference.sampling import dataset_cond, iter_samples
from ganjax.metrics.superres import lowres_field

# The settings' names in error messages: evaluate.py's flags, or the training config's fields.
CLI_FLAGS = {"num_samples": "--num_samples", "feature_net": "--feature_net"}
CONFIG_FLAGS = {"num_samples": "config.eval_num_samples", "feature_net": "config.eval_feature_net"}


class Scorer:
  """metrics: resolved for `source` (registry.resolve). dataset_cfg: the dataset compared with;
  split, feature_net: None = the dataset's (DatasetSpec.fid_split, .feature_net). num: samples
  drawn from a run (a file's first `num`, None = all; for translation, inputs per direction).
  images, labels: a samples file's arrays (uint8 [N, H, W, C], int [N] or None)."""

  def __init__(self, metrics: Sequence[Metric], source: Source, dataset_cfg, *,
               split: str | None = None, feature_net: str | None = None,
               feature_net_options: dict | None = None, num: int | None = None,
               keep_features: int = DEFAULT_KEEP_FEATURES, cache_dir: str | None = None,
               seed: int = 0, ema: bool = True, truncation: float | None = None,
               images: np.ndarray | None = None, labels: np.ndarray | None = None,
               flags: dict = CLI_FLAGS):
    self.metrics, self.dataset_cfg, self.num, self.flags = list(metrics), dataset_cfg, num, flags
    self.requested_net, self.net_options = feature_net, dict(feature_net_options or {})
    self.keep_features, self.seed, self.ema, self.truncation = keep_features, seed, ema, truncation
    self.images, self.labels = images, labels
    exp = source.exp
    shape = images.shape[1:] if images is not None else exp.data_shape if exp is not None else None
    self.source = dataclasses.replace(source, dataset=dataset_cfg.name,
                                      image_shape=None if shape is None else tuple(shape))
    for m in self.metrics:
      if m.check:
        m.check(self)
    self.samples = SAMPLES.has(self.source)  # one pass over the samples
    self.num_classes = (cond.run_num_classes(exp) if exp is not None else 0) or \
        dataset_spec(dataset_cfg.name).num_classes
    self.labelled = (exp is not None and cond.run_num_classes(exp) > 0 and
                     any(LABELS in m.reads for m in self.metrics))  # draw balanced requested labels
    self.net = None
    if self.samples:
      self.net_name = feature_net_for(dataset_cfg.name, feature_net)
      self.split = reference_split(dataset_cfg.name, split)
      self.net = build_feature_net(self.net_name, **self.net_options)
      if images is not None:
        self.net.check_images(images)
    else:  # metrics that read a network and a split of their own (translation)
      self.net_name = next((m.net for m in self.metrics if m.net), feature_net)
      self.split = next((m.split for m in self.metrics if m.split), split)
    self.notes: list[str] = []
    self.active: list[Metric] = []  # the requested metrics less those skipped with a note
    for m in self.metrics:
      missing = [n for n in m.reads if n.optional and not n.has(self.source)]
      if not missing:
        self.active.append(m)
      elif missing[0].note(self.source) not in self.notes:
        self.notes.append(missing[0].note(self.source))
        logging.warning("%s", self.notes[-1])
    self.resources = {m.name: m.prepare(self) for m in self.active if m.prepare}
    self.real = None
    if any(REAL in m.reads for m in self.active):
      self.real = reference_summary(self.net, dataset_cfg, self.split, keep_features=keep_features,
                                    cache_dir=cache_dir)

  def _batches(self, state):
    """The samples: the file's batches, or a run's draws (for balanced requested labels when a
    metric reads the labels)."""
    if self.images is not None:
      return batches_of(self.images, self.labels, batch_size=self.net.batch_size)
    exp = self.source.exp
    if self.labelled:
      return cond.iter_labelled_samples(exp, state, cond.balanced_labels(self.num, self.num_classes),
                                        seed=self.seed, ema=self.ema, batch_size=self.net.batch_size,
                                        truncation=self.truncation)
    num, inputs = self.num, None
    if lowres_field(exp) is not None:  # an upsampler: G(the split's first num inputs), in order
      inputs = dataset_cond(exp, num if num is not None else 1 << 62, self.split)
      num = len(next(iter(inputs.values())))
    return iter_samples(exp, state, num, ema=self.ema, seed=self.seed,
                        batch_size=self.net.batch_size, truncation=self.truncation, cond=inputs)

  def __call__(self, state=None) -> tuple[dict[str, float], dict]:
    """({column: value} of every active metric, {row field: value} the metrics add)."""
    common = dict(exp=self.source.exp, state=state, num_classes=self.num_classes, seed=self.seed,
                  ema=self.ema)
    scores: dict[str, float] = {}
    extras: dict = {}
    taps: dict = {}
    num = self.num
    if self.samples:
      batches = self._batches(state)
      for m in self.active:
        if m.tap:
          batches = taps[m.name] = m.tap(batches, self.resources[m.name])
      scores = evaluate(self.net, batches, self.real,
                        [m.name for m in self.active if FEATURES in m.reads],
                        keep_features=self.keep_features, limit=self.num)
      num = int(scores["num_samples"])
    active = {m.name for m in self.active}
    for m in METRICS.in_order():
      if m.name in active and FEATURES not in m.reads:
        scores.update(m.compute(Inputs(**common, num_samples=num, resource=self.resources.get(m.name),
                                       tap=taps.get(m.name), row=extras)))
    return scores, extras

  def best_column(self, scores: dict) -> str | None:
    """The column whose lowest value marks the best checkpoint (fid; a translation's first
    direction's fid), or None when no requested metric declares one."""
    keeper = next((m for m in self.metrics if m.best), None)
    return keeper.best(scores) if keeper else None
