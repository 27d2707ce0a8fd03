"""Persistent XLA compilation cache, so a second run of the same config starts without compiling.

JAX keys each compiled program by its HLO, the backend and the flags; a later process that builds
the same step loads it from disk instead of compiling (seconds instead of ~10 s per program on the
2-core CPU, see BENCHMARKS.md). Call `enable` once, before the first compilation.
"""

from __future__ import annotations

import os

import jax


DEFAULT_DIR = "~/.cache/ganjax/jax_compilation"


def enable(directory: str | None = DEFAULT_DIR) -> str | None:
  """Turns the cache on at `directory` ("~" expanded); "" or None leaves it off.

  Returns the absolute directory used, or None when off. Programs that compile in under a second
  are cached too (JAX's default skips them): on CPU those are the init and sampling programs a
  short run also waits for.
  """
  if not directory:
    return None
  directory = os.path.abspath(os.path.expanduser(directory))
  os.makedirs(directory, exist_ok=True)
  jax.config.update("jax_compilation_cache_dir", directory)
  jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
  return directory
