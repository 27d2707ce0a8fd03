"""The `runtime` block of every config: how a run executes, apart from what it trains.

Family configs do not repeat it: `c.runtime = default_runtime()` gives every field its default,
and `runtime_of(config)` fills any field an older or hand-written config lacks. Override on the
command line as `--config.runtime.parallelism=pmap`.

  layers              "auto" | "flax" | "cpu": the layer set models build from
                      (ganjax/backends: "auto" takes the XLA:CPU set only on a float32 CPU run).
  conv_kernels        "auto" | "xla" | "onednn": the CPU set's convolution kernels.
  xla_cpu_ynnpack     XLA:CPU: send dots to YNNPACK (XLA's default) or keep XLA's own (ganjax's).
  xla_cpu_scheduler   XLA:CPU scheduler: "memory_optimized" (ganjax's) or "default" (XLA's).
  host_memory         "retain" | "system": glibc keeps freed host memory in the process
                      (ganjax/runtime/host_memory.py); applied by the entry points, before JAX starts.
  compilation_cache_dir  persistent compilation cache ("" = off); applied by the entry points.
  prefetch            blocks of batches staged ahead by a background thread (0 = inline).
  steps_per_dispatch  k steps per dispatch under lax.scan (same results as k = 1).
  num_devices         0 = all visible devices.
  parallelism         "jit" (sharded jax.jit) | "pmap" (per-device step under shard_map).
  pmap_impl           pmap mode: "shard_map" | "jax_pmap" (legacy jax.pmap, one process).
  fsdp                jit mode: shard parameters and optimizer state over `data` too.
  model_parallel      size of the mesh's `model` axis.
"""

from __future__ import annotations

import ml_collections

DEFAULTS = dict(
    layers="auto", conv_kernels="auto", xla_cpu_ynnpack=False, xla_cpu_scheduler="memory_optimized",
    host_memory="retain", compilation_cache_dir="~/.cache/ganjax/jax_compilation", prefetch=0,
    steps_per_dispatch=1, num_devices=0, parallelism="jit", pmap_impl="shard_map", fsdp=False,
    model_parallel=1)


def default_runtime() -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict(dict(DEFAULTS))


def runtime_of(config) -> ml_collections.ConfigDict:
  """config.runtime with every missing field at its default (a copy; the config is unchanged)."""
  given = config.get("runtime", None) or {}
  return ml_collections.ConfigDict({**DEFAULTS, **dict(given)})


def apply_process_settings(config) -> None:
  """The process-wide part of config.runtime, for entry points (experiments/*.py) to call once
  before anything starts JAX's backend: glibc's host-memory retention and the persistent
  compilation cache. Library code never calls it, so importing ganjax or building an experiment
  inside a notebook leaves the process as it was."""
  from ganjax.runtime import compile_cache, host_memory
  rt = runtime_of(config)
  if rt.host_memory == "retain":
    host_memory.retain_freed_memory()
  compile_cache.enable(rt.compilation_cache_dir)
