"""Evaluation during training: every `config.eval_every` steps, score EMA samples against the
dataset's FID reference split (test; train for emoji32) through its feature network (or
config.eval_feature_net), log the scores (TensorBoard and metrics.jsonl, as "eval/<column>") and
keep the checkpoint with the lowest FID in WORKDIR/checkpoints_best, an orbax manager of its own
that the keep-last-N rotation of WORKDIR/checkpoints never touches.

Class-conditional runs may add "ifid" and "cacc" to config.eval_metrics (their samples are then
drawn for balanced requested labels), InfoGAN runs "code_acc" (its Q head on the reference split):
ganjax/metrics/conditional.py; StyleGAN2 runs "ppl" (eval_num_samples paths in W:
ganjax/metrics/ppl.py). Translation runs use "translation" alone (the first eval_num_samples test
inputs of each direction; ganjax/metrics/translation.py).
"""

from __future__ import annotations

import os

import orbax.checkpoint as ocp
from absl import logging

from ganjax.metrics.eval_config import eval_settings
from ganjax.metrics.kid import display_scores
from ganjax.metrics.registry import Source, resolve
from ganjax.metrics.scorer import CONFIG_FLAGS, Scorer

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
  """Built once per run; `maybe_evaluate` is called after every step and does nothing when off.
  The metrics resolve and score as in evaluate.py (ganjax/metrics/registry.py, scorer.py): one
  Scorer, built here, holds the feature network, the reference statistics and what the metrics
  read (the classifier, the split for code_acc)."""

  def __init__(self, exp, config, workdir: str):
    s = eval_settings(config)
    self.every = s["eval_every"]
    if not self.every:
      return
    self.exp, self.num = exp, s["eval_num_samples"]
    source = Source(exp=exp)
    self.scorer = Scorer(resolve(s["eval_metrics"], source), source, config.dataset,
                         feature_net=s["eval_feature_net"], num=self.num,
                         seed=config.seed + EVAL_SEED_OFFSET, flags=CONFIG_FLAGS)
    # fid (a translation run: its first direction's fid) picks the checkpoint kept in checkpoints_best
    self.best = open_best_manager(workdir) if any(m.best for m in self.scorer.metrics) else None

  def maybe_evaluate(self, step: int, total: int, state, writer) -> dict | None:
    """Scores at multiples of eval_every and at the last step; returns the scores or None."""
    if not self.every or (step % self.every and step != total):
      return None
    scores, extras = self.scorer(state)
    if "code_mapping" in extras:
      logging.info("step %d InfoGAN code -> matched class: %s", step, extras["code_mapping"])
    writer.write_scalars(step, {f"eval/{k}": v for k, v in scores.items()})
    logging.info("step %d eval: %s", step, ", ".join(f"{k}={v:.4g}" for k, v in
                                                     display_scores(scores).items()))
    if self.best is not None and step not in self.best.all_steps():
      self.best.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state)),
                     metrics={"fid": scores[self.scorer.best_column(scores)]})
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
