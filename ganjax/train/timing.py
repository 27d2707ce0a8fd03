"""Timing of the compiled train step, shared by the benchmark scripts."""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.train.experiment import build_experiment


def time_config(config, batch_size: int, steps: int, repeats: int) -> dict:
  """Compiles the step for `config` at `batch_size`, then times `repeats` windows of `steps` steps
  on one device-resident random batch (input pipeline excluded). Returns the median rate and the
  first call's (compile) time."""
  config = config.copy_and_resolve_references()
  config.batch_size = batch_size
  exp = build_experiment(config)
  state = exp.init_state()
  images = jax.random.uniform(jax.random.PRNGKey(1), (batch_size, *exp.data_shape), minval=-1, maxval=1)
  batch = jax.device_put({"image": images, "label": jnp.zeros(batch_size, jnp.int32)}, exp.batch_sharding)
  t0 = time.perf_counter()
  state, metrics = exp.train_step(state, batch)
  jax.block_until_ready(metrics)
  compile_s = time.perf_counter() - t0
  rates = []
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(steps):
      state, metrics = exp.train_step(state, batch)
    jax.block_until_ready((state, metrics))
    rates.append(steps / (time.perf_counter() - t0))
  sps = float(np.median(rates))
  return {"batch": batch_size, "compile_s": compile_s, "steps_per_s": sps,
          "images_per_s": sps * batch_size}
