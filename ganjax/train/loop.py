"""`train_and_evaluate(config, workdir)`: the training loop around the compiled step."""

from __future__ import annotations

import os
import time

import jax
import numpy as np
from absl import logging

from ganjax import faults
from ganjax.runtime import parallel
from ganjax.checkpoint import Checkpointer
from ganjax.data.feed import BatchFeed
from ganjax.data.pipeline import make_train_dataset, source_labels
from ganjax.data.sources import data_source, training_subset
from ganjax.errors import GanjaxError
from ganjax.images import image_grid, save_png, to_uint8
from ganjax.metrics.periodic import PeriodicEvaluator
from ganjax.metrics.toy_report import report_mixture
from ganjax.reporting import MetricWriter, progress_bar
from ganjax.core import guard
from ganjax.core.capabilities import Renders, progress_metrics, supports
from ganjax.core.keys import fixed_noise_key
from ganjax.core.state import GANState
from ganjax.runtime import runtime_of
from ganjax.inference.sampling import as_images, dataset_cond
from ganjax.inference.grids import declared_grids, render_grid, training_layout
from ganjax.train.dispatch import plan_blocks, stage_block
from ganjax.train import config_history
from ganjax.train.experiment import build_experiment
from ganjax.train.preemption import Preempted, PreemptionWatch
from ganjax.inference.translation import translation_grid
from ganjax.workdir_lock import WorkdirLock


class NonFiniteError(GanjaxError, FloatingPointError):
  """Too many consecutive steps had NaN/Inf losses or gradients."""


def write_sample_grid(exp, state: GANState, workdir: str, step: int) -> str | None:
  """Saves a grid of EMA samples from the run's fixed noise to WORKDIR/samples/step_XXXXXXX.png:
  one row per class for class-conditional families (ganjax/inference/grids.py), rows of test
  input | translation | reconstruction (or target) for translation families, else
  num_grid_samples in a square. Every process computes (the state may span all of them);
  process 0 writes."""
  key, num = fixed_noise_key(exp.config), exp.config.get("num_grid_samples", 64)
  grids = declared_grids(exp.objective)
  if not grids or (len(exp.data_shape) != 3 and not supports(exp.objective, Renders)):
    return None  # the family draws no grid, or its samples are no pictures
  layout = training_layout(exp, key, num)
  if grids[0] == "translation":  # fixed test inputs: input | output | reconstruction or target
    images, ncols = translation_grid(exp, state, num)
    images = images.astype("float32") / 127.5 - 1.0
  elif layout is None:  # samples of the fixed noise, conditioned on the first test inputs if need be
    cond = dataset_cond(exp, num)
    num = num if cond is None else len(next(iter(cond.values())))
    images, ncols = as_images(exp, exp.sample(state, key, num, cond=cond)), None
  else:
    images, ncols = as_images(exp, render_grid(exp, state, layout)), layout.cols
  if jax.process_index() != 0:
    return None
  path = os.path.join(workdir, "samples", f"step_{step:07d}.png")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  save_png(path, image_grid(to_uint8(jax.device_get(images)), ncols=ncols), upscale=2)
  return path


def _poison(local_batch: dict) -> dict:
  """config.debug.nan_at_steps: replaces every float field by NaN, to exercise the non-finite guard."""
  return {k: np.full_like(v, np.nan) if np.issubdtype(v.dtype, np.floating) else v
          for k, v in local_batch.items()}


def _check_tripped(state: GANState, ckpt: Checkpointer, max_bad: int) -> None:
  tripped = int(jax.device_get(state.extras[guard.KEY]["tripped_at"]))
  if tripped >= 0:
    raise NonFiniteError(
        f"training stopped: {max_bad} consecutive steps up to step {tripped} had NaN/Inf losses or "
        f"gradients (their updates were skipped). Last good checkpoint: step {ckpt.latest_step()} "
        f"in {ckpt.directory}. Lower the learning rate, add a regularizer or check the data; "
        f"rerunning resumes from that checkpoint.")


def train_and_evaluate(config, workdir: str) -> GANState:
  """Trains `config` in `workdir`, resuming from its newest good checkpoint; returns the final state."""
  exp = build_experiment(config, workdir)  # validates before any data or compilation
  lock = WorkdirLock(workdir).acquire() if jax.process_index() == 0 else None
  try:
    with PreemptionWatch() as watch:  # SIGTERM / SIGINT: save the step reached, raise Preempted
      return _train(exp, config, workdir, watch)
  finally:
    if lock is not None:
      lock.release()


def _train(exp, config, workdir: str, watch: PreemptionWatch) -> GANState:
  # config.dataset.subset: train on a fixed subset of this many examples (limited-data runs).
  source = training_subset(data_source(config.dataset, "train"), config.dataset.get("subset"))
  # config.dataset.class_balanced: batches with an equal share of each class.
  balance = source_labels(source) if config.dataset.get("class_balanced", False) else None
  dataset = make_train_dataset(source, global_batch_size=config.batch_size, seed=config.seed,
                               fields=exp.spec.schema,
                               process_index=jax.process_index(),
                               process_count=jax.process_count(), balance_labels=balance)
  data_iter = iter(dataset)
  ckpt = Checkpointer(workdir, max_to_keep=config.get("keep_checkpoints", 3),
                      save_every=config.get("checkpoint_every", 1000))
  state = exp.init_state()
  # Restore before anything is written: a refused resume leaves config.json and the logs as they were.
  restored = ckpt.restore(exp.abstract_state())
  changes = {}
  if restored is not None:
    state, data_state = restored
    if data_state is not None:
      data_iter.set_state(data_state)
    changes = config_history.check_resume(workdir, config, int(state.step))
    logging.info("Resumed from step %d in %s", int(state.step), ckpt.directory)
    for field, (old, new) in changes.items():
      logging.info("config.%s changed at step %d: %r -> %r (config_history.jsonl)", field,
                   int(state.step), old, new)
  start, total = int(state.step), config.num_train_steps
  if jax.process_index() == 0:
    config_history.record(workdir, config, start, changes)
  # Rows a killed run logged after its last checkpoint are dropped: the resumed run logs them again.
  writer = MetricWriter(workdir, resume_step=start if restored is not None else None)
  evaluator = PeriodicEvaluator(exp, config, workdir)  # config.eval_every; off when 0

  log_every, sample_every = config.get("log_every", 50), config.get("sample_every", 500)
  poison_steps = set(config.get("debug", {}).get("nan_at_steps", ()))
  max_bad = config.get("max_bad_steps", 20)
  last_time, last_step = time.perf_counter(), start
  rt = runtime_of(config)
  k = rt.steps_per_dispatch
  plan = plan_blocks(start, total, k, [log_every, sample_every, ckpt.save_every,
                                      config.get("eval_every", 0)])
  feed = BatchFeed(data_iter, plan, lambda i, b: _poison(b) if i in poison_steps else b,
                   lambda bs: stage_block(bs, exp.mesh), prefetch=rt.prefetch)
  try:
    with progress_bar(start, total) as bar:
      for step, n, batch in feed:
        step_fn = exp.train_step if n == 1 else exp.train_steps
        if step == start:
          faults.maybe_stall("stall_before_first_step")
          parallel.compile_then_align(step_fn, state, batch, name=f"ganjax_first_step_{start}")
        state, metrics = step_fn(state, batch)
        done = step + n
        if done % log_every == 0 or done == total:
          metrics = jax.device_get(metrics)
          now = time.perf_counter()
          metrics["steps_per_sec"] = (done - last_step) / max(now - last_time, 1e-9)
          last_time, last_step = now, done
          writer.write_scalars(done, metrics)
          bar.set_postfix({k: f"{metrics[k]:.3f}" for k in progress_metrics(exp.objective)
                           if k in metrics}, refresh=False)
          _check_tripped(state, ckpt, max_bad)
        if sample_every and (done % sample_every == 0 or done == total):
          write_sample_grid(exp, state, workdir, done)
          report_mixture(exp, state, workdir, done, writer)
        if ckpt.save_every and done % ckpt.save_every == 0 or done == total:
          _check_tripped(state, ckpt, max_bad)
          ckpt.save(done, state, feed.data_state(), force=done == total)
          writer.flush()  # everything logged up to a checkpoint survives a kill after it
        faults.maybe_preempt(done)
        if done < total and watch.requested(done):
          _check_tripped(state, ckpt, max_bad)
          ckpt.save(done, state, feed.data_state(), force=True)  # no-op if saved above
          writer.flush()
          raise Preempted(done, ckpt.directory, watch.received)
        evaluator.maybe_evaluate(done, total, state, writer)
        faults.maybe_kill("kill_after_step", done)
        bar.update(n)
    if total <= start:
      logging.info("Nothing to train: checkpoint is at step %d >= num_train_steps=%d", start, total)
  finally:
    feed.close()
    ckpt.close()
    evaluator.close()
    writer.close()
  return state
