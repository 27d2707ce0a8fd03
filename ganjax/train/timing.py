"""Timing of the compiled train step, shared by the benchmark scripts."""

from __future__ import annotations

import json
import time
from typing import Iterable

import jax
import numpy as np

from ganjax.train.dispatch import stage_block
from ganjax.runtime import apply_process_settings, runtime_of
from ganjax.train.experiment import build_experiment


def apply_timing_process_settings(config, *, cache: bool = False) -> None:
  """A timing script's process-wide settings, before anything starts JAX's backend: those of the
  training entry points (`ganjax.runtime.apply_process_settings`: glibc host memory as
  config.runtime.host_memory says), but the persistent compilation cache only when `cache`, so
  compile times are measured from scratch unless asked otherwise."""
  rt = runtime_of(config)
  if not cache:
    rt.compilation_cache_dir = ""
  apply_process_settings({"runtime": rt})


def apply_overrides(config, items: Iterable[str]):
  """Sets each "a.b.c=value" of `items` on `config` (value parsed as JSON when it parses, else
  kept as a string); returns `config`."""
  for item in items:
    key, value = item.split("=", 1)
    *parents, leaf = key.split(".")
    node = config
    for p in parents:
      node = node[p]
    try:
      node[leaf] = json.loads(value)
    except json.JSONDecodeError:
      node[leaf] = value
  return config


def random_batch(exp, batch_size: int, copies: int = 1) -> dict:
  """A device-resident random batch for `exp`'s step: every field of the dataset's schema, the
  primary data field [copies?, B, *data_shape] uniform in [-1, 1] (seed 1), the others zeros,
  staged on the mesh as `copies` stacked batches (1: one)."""
  data = jax.random.uniform(jax.random.PRNGKey(1), (batch_size, *exp.data_shape), minval=-1, maxval=1)
  batch = {**exp.spec.zeros_batch(batch_size), exp.spec.data_field: np.asarray(data)}
  return stage_block([batch] * copies, exp.mesh)


def time_config(config, batch_size: int, steps: int, repeats: int) -> dict:
  """Compiles the step for `config` at `batch_size`, then times `repeats` windows of `steps` steps
  on one device-resident random batch (input pipeline excluded). Returns the median rate, each
  window's rate and the first call's (compile) time. With config.steps_per_dispatch = k > 1 the
  k-step program runs on k copies of the batch (runtime.steps_per_dispatch), `steps // k` dispatches per window."""
  config = config.copy_and_resolve_references()
  config.batch_size = batch_size
  exp = build_experiment(config)
  state = exp.init_state()
  k = runtime_of(config).steps_per_dispatch
  step_fn = exp.train_step if k == 1 else exp.train_steps
  batch = random_batch(exp, batch_size, k)
  t0 = time.perf_counter()
  state, metrics = step_fn(state, batch)
  jax.block_until_ready(metrics)
  compile_s = time.perf_counter() - t0
  rates = []
  calls = max(1, steps // k)
  for _ in range(repeats):
    t0 = time.perf_counter()
    for _ in range(calls):
      state, metrics = step_fn(state, batch)
    jax.block_until_ready((state, metrics))
    rates.append(calls * k / (time.perf_counter() - t0))
  sps = float(np.median(rates))
  return {"batch": batch_size, "compile_s": compile_s, "steps_per_s": sps,
          "images_per_s": sps * batch_size, "rates": rates}
