"""Evaluation during training: every `config.eval_every` steps, score EMA samples against the
dataset's FID reference split (test; train for emoji32) through its feature network (or
config.eval_feature_net), log the scores (TensorBoard and metrics.jsonl, as "eval/<column>") and
keep the checkpoint with the lowest FID in WORKDIR/checkpoints_best, an orbax manager of its own
that the keep-last-N rotation of WORKDIR/checkpoints never touches.

Class-conditional runs may add "ifid" and "cacc" to config.eval_metrics (their samples are then
drawn for balanced requested labels), InfoGAN runs "code_acc" (its Q head on the test split):
ganjax/metrics/conditional.py; StyleGAN2 runs "ppl" (eval_num_samples paths in W:
ganjax/metrics/ppl.py). Translation runs use "translation" alone (the first eval_num_samples test
inputs of each direction; ganjax/metrics/translation.py).
"""

from __future__ import annotations

import os

import orbax.checkpoint as ocp
from absl import logging

from ganjax.errors import ConfigError
from ganjax.metrics import conditional as cond
from ganjax.metrics.data import load_split
from ganjax.metrics.eval_config import eval_settings, feature_net_for, reference_split
from ganjax.metrics.evaluation import evaluate, parse_metrics, reference_summary
from ganjax.metrics.features import build_feature_net
from ganjax.metrics.ppl import PPL, ppl
from ganjax.metrics.translation import TRANSLATION, translation_scores
from ganjax.sampling import iter_samples
from ganjax.style_space import check_style_space
from ganjax.translation import is_translator

BEST_DIR = "checkpoints_best"
EVAL_SEED_OFFSET = 0x5EED  # eval latents differ from the grid's, and are the same at every eval


def open_best_manager(workdir: str) -> ocp.CheckpointManager:
  """Keeps one checkpoint: the one saved with the lowest metrics["fid"] (across resumes too)."""
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), BEST_DIR),
      options=ocp.CheckpointManagerOptions(max_to_keep=1, best_fn=lambda m: m["fid"], best_mode="min",
                                           create=True),
      item_names=("state",))


class PeriodicEvaluator:
  """Built once per run; `maybe_evaluate` is called after every step and does nothing when off."""

  def __init__(self, exp, config, workdir: str):
    s = eval_settings(config)
    self.every = s["eval_every"]
    if not self.every:
      return
    self.exp, self.num = exp, s["eval_num_samples"]
    self.metrics = parse_metrics(s["eval_metrics"])
    self.translation = is_translator(exp.objective)
    if self.translation:  # translate the first eval_num_samples test inputs per direction
      if self.metrics != [TRANSLATION]:
        raise ConfigError(f"a translation model is evaluated with config.eval_metrics="
                          f"'translation', not {s['eval_metrics']!r}.")
      self.net = build_feature_net("fashion_mnist_cnn")
      self.best = open_best_manager(workdir)  # lowest FID of the first direction
      return
    cond.check_run_metrics(exp, self.metrics)
    if PPL in self.metrics:
      check_style_space(exp, f"eval metric {PPL!r}")
    self.num_classes = cond.run_num_classes(exp)
    self.labelled = bool(self.num_classes) and any(m in cond.LABELLED_METRICS for m in self.metrics)
    if "ifid" in self.metrics and self.num < 2 * self.num_classes:
      raise ConfigError(f"config.eval_num_samples={self.num} is too few for 'ifid': each of the "
                        f"{self.num_classes} classes needs at least 2 samples (use >= "
                        f"{2 * self.num_classes}; FID is only stable from thousands).")
    self.seed = config.seed + EVAL_SEED_OFFSET
    net_name = feature_net_for(config.dataset.name, s["eval_feature_net"])
    self.net = build_feature_net(net_name)
    self.real = reference_summary(self.net, config.dataset, reference_split(config.dataset.name))
    self.classifier = None
    if cond.CONDITIONAL_ACCURACY in self.metrics:
      note = cond.classifier_note(config.dataset.name, exp.data_shape)
      if note:
        logging.warning("%s", note)
      else:
        classifier = cond.dataset_classifier(config.dataset.name, exp.data_shape)
        self.classifier = self.net if net_name == classifier else build_feature_net(classifier)
    self.code_data = None
    if cond.CODE_ACCURACY in self.metrics:  # the test split, read once: 10k images are 8 MB
      self.code_data = load_split(config.dataset, "test")
      self.dataset_classes = self.exp.spec.num_classes
    self.best = open_best_manager(workdir) if "fid" in self.metrics else None

  def maybe_evaluate(self, step: int, total: int, state, writer) -> dict | None:
    """Scores at multiples of eval_every and at the last step; returns the scores or None."""
    if not self.every or (step % self.every and step != total):
      return None
    if self.translation:
      scores = translation_scores(self.exp, state, self.net, num=self.num)
      return self._log_and_keep(step, state, writer, scores, next(k for k in scores if k.endswith("/fid")))
    if self.labelled:
      samples = cond.iter_labelled_samples(self.exp, state,
                                           cond.balanced_labels(self.num, self.num_classes),
                                           seed=self.seed, batch_size=self.net.batch_size)
    else:
      samples = iter_samples(self.exp, state, self.num, seed=self.seed, batch_size=self.net.batch_size)
    tap = cond.PredictionTap(samples, self.classifier) if self.classifier is not None else None
    scores = evaluate(self.net, tap or samples, self.real, self.metrics)
    if tap is not None:
      scores.update(tap.scores(self.num_classes, limit=int(scores["num_samples"])))
    if self.code_data is not None:
      code_scores, mapping = cond.run_code_scores(self.exp, state, *self.code_data, self.dataset_classes)
      scores.update(code_scores)
      logging.info("step %d InfoGAN code -> matched class: %s", step, mapping)
    if PPL in self.metrics:
      scores.update(ppl(self.exp, state, self.num, seed=self.seed))
    return self._log_and_keep(step, state, writer, scores, "fid")

  def _log_and_keep(self, step: int, state, writer, scores: dict, fid_key: str) -> dict:
    """Logs the scores; keeps the state in checkpoints_best when scores[fid_key] is the lowest."""
    writer.write_scalars(step, {f"eval/{k}": v for k, v in scores.items()})
    logging.info("step %d eval: %s", step, ", ".join(f"{k}={v:.4g}" for k, v in scores.items()))
    if self.best is not None and step not in self.best.all_steps():
      self.best.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state)),
                     metrics={"fid": scores[fid_key]})
      self.best.wait_until_finished()
    return scores

  def close(self) -> None:
    if self.every and self.best is not None:
      self.best.close()


def restore_best(workdir: str, abstract_state) -> tuple[int, object] | None:
  """(step, state) of the best-FID checkpoint, or None when there is none."""
  manager = open_best_manager(workdir)
  try:
    step = manager.best_step()
    if step is None:
      return None
    restored = manager.restore(step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract_state)))
    return step, restored["state"]
  finally:
    manager.close()
