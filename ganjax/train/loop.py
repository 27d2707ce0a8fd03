"""`train_and_evaluate(config, workdir)`: the training loop around the compiled step."""

from __future__ import annotations

import os
import time

import jax
from absl import logging

from ganjax.checkpoint import Checkpointer
from ganjax.data.pipeline import global_batch, make_train_dataset
from ganjax.data.sources import data_source
from ganjax.images import image_grid, save_png, to_uint8
from ganjax.reporting import MetricWriter, progress_bar
from ganjax.train.experiment import build_experiment, fixed_noise_key
from ganjax.train.state import GANState


def write_sample_grid(exp, state: GANState, workdir: str, step: int) -> str | None:
  """Saves a grid of EMA samples from the run's fixed noise to WORKDIR/samples/step_XXXXXXX.png."""
  if jax.process_index() != 0 or len(exp.data_shape) != 3:
    return None
  images = exp.sample(state, fixed_noise_key(exp.config), exp.config.get("num_grid_samples", 64))
  path = os.path.join(workdir, "samples", f"step_{step:07d}.png")
  os.makedirs(os.path.dirname(path), exist_ok=True)
  save_png(path, image_grid(to_uint8(jax.device_get(images))), upscale=2)
  return path


def train_and_evaluate(config, workdir: str) -> GANState:
  """Trains `config` in `workdir`, resuming from its newest checkpoint; returns the final state."""
  exp = build_experiment(config, workdir)  # validates before any data or compilation
  source = data_source(config.dataset, "train")
  dataset = make_train_dataset(source, global_batch_size=config.batch_size, seed=config.seed,
                               shape=exp.data_shape, process_index=jax.process_index(),
                               process_count=jax.process_count())
  data_iter = iter(dataset)
  ckpt = Checkpointer(workdir, max_to_keep=config.get("keep_checkpoints", 3),
                      save_every=config.get("checkpoint_every", 1000))
  writer = MetricWriter(workdir)
  writer.write_config(config)

  state = exp.init_state()
  restored = ckpt.restore(exp.abstract_state())
  if restored is not None:
    state, data_state = restored
    if data_state is not None:
      data_iter.set_state(data_state)
    logging.info("Resumed from step %d in %s", int(state.step), ckpt.directory)

  start, total = int(state.step), config.num_train_steps
  log_every, sample_every = config.get("log_every", 50), config.get("sample_every", 500)
  last_time, last_step = time.perf_counter(), start
  with progress_bar(start, total) as bar:
    for step in range(start, total):
      batch = global_batch(next(data_iter), exp.batch_sharding)
      state, metrics = exp.train_step(state, batch)
      done = step + 1
      if done % log_every == 0 or done == total:
        metrics = jax.device_get(metrics)
        now = time.perf_counter()
        metrics["steps_per_sec"] = (done - last_step) / max(now - last_time, 1e-9)
        last_time, last_step = now, done
        writer.write_scalars(done, metrics)
        bar.set_postfix(d_loss=f"{metrics['d_loss']:.3f}", g_loss=f"{metrics['g_loss']:.3f}",
                        refresh=False)
      if sample_every and (done % sample_every == 0 or done == total):
        write_sample_grid(exp, state, workdir, done)
      ckpt.save(done, state, data_iter.get_state(), force=done == total)
      bar.update(1)
  if total <= start:
    logging.info("Nothing to train: checkpoint is at step %d >= num_train_steps=%d", start, total)
  ckpt.close()
  writer.close()
  return state
