"""Evaluation during training: every `config.eval_every` steps, score EMA samples against the test
split, log the scores (TensorBoard and metrics.jsonl, as "eval/<column>") and keep the checkpoint
with the lowest FID in WORKDIR/checkpoints_best, an orbax manager of its own that the keep-last-N
rotation of WORKDIR/checkpoints never touches.
"""

from __future__ import annotations

import os

import orbax.checkpoint as ocp
from absl import logging

from ganjax.metrics.eval_config import eval_settings
from ganjax.metrics.evaluation import evaluate, parse_metrics, reference_summary
from ganjax.metrics.features import build_feature_net
from ganjax.sampling import iter_samples

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
    self.seed = config.seed + EVAL_SEED_OFFSET
    self.net = build_feature_net(s["eval_feature_net"])
    self.real = reference_summary(self.net, config.dataset, "test")
    self.best = open_best_manager(workdir) if "fid" in self.metrics else None

  def maybe_evaluate(self, step: int, total: int, state, writer) -> dict | None:
    """Scores at multiples of eval_every and at the last step; returns the scores or None."""
    if not self.every or (step % self.every and step != total):
      return None
    samples = iter_samples(self.exp, state, self.num, seed=self.seed, batch_size=self.net.batch_size)
    scores = evaluate(self.net, samples, self.real, self.metrics)
    writer.write_scalars(step, {f"eval/{k}": v for k, v in scores.items()})
    logging.info("step %d eval: %s", step, ", ".join(f"{k}={v:.4g}" for k, v in scores.items()))
    if self.best is not None and step not in self.best.all_steps():
      self.best.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state)),
                     metrics={"fid": scores["fid"]})
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
