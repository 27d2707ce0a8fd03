"""XLA compiler options for ganjax's own compiled functions, chosen per backend by measurement.

Two XLA:CPU (jax 0.10) defaults are overridden, each measured on the seed DCGAN's train step
(BENCHMARKS.md, "Optimizations"):

- Kernel library: XLA:CPU hands dots to the YNNPACK library by default
  (`xla_cpu_experimental_ynn_fusion_type` = INDIVIDUAL_DOT). XLA's own (Eigen) kernels ran the
  step 1.17x / 1.48x faster at batch 32 / 256 (2-core AVX2 machine; 0.70x with YNNPACK on the
  AVX-512 one) and the FID InceptionV3 2.2-2.4x faster. Off unless `config.xla_cpu_ynnpack`.
- Scheduler: XLA:CPU's default schedule lets independent large convolutions run at once, each
  spreading over the same few cores and evicting the other's working set from cache. The
  memory-optimized schedule (`xla_cpu_scheduler_type`) orders them one after another: the step ran
  1.08x faster at batch 256 and the same at batch 32 (2-core AVX-512 machine). `config.xla_cpu_scheduler`
  = "default" restores XLA's.

Neither changes what is computed. The options go to each function's `jax.jit(compiler_options=...)`:
nothing else in the user's process changes, and other backends get none. Both are experimental in
XLA: an option this jaxlib does not know is left out (one tiny probe compile each, cached) rather
than failing every compile.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

from ganjax.errors import ConfigError

# The empty list of library fusion types: no dot or convolution goes to YNNPACK.
_CPU_WITHOUT_YNNPACK = (("xla_cpu_experimental_ynn_fusion_type", ""),)
CPU_SCHEDULERS = {
    "default": (),
    "memory_optimized": (("xla_cpu_scheduler_type", "CPU_SCHEDULER_TYPE_MEMORY_OPTIMIZED"),),
}
DEFAULT_CPU_SCHEDULER = "memory_optimized"


@functools.lru_cache(maxsize=None)
def _cpu_accepts(options: tuple[tuple[str, str], ...]) -> bool:
  """Whether this jaxlib's XLA:CPU compiles with these debug options (one tiny compile, cached)."""
  x = jax.device_put(np.float32(0), jax.devices("cpu")[0])
  try:
    jax.jit(lambda v: v + 1, compiler_options=dict(options)).lower(x).compile()
  except Exception:  # an unknown option or value: jaxlib's runtime error (its type varies by version)
    return False
  return True


def compiler_options(platform: str, ynnpack: bool = False,
                     scheduler: str = DEFAULT_CPU_SCHEDULER) -> dict | None:
  """Options for jax.jit on `platform` ("cpu", "gpu", "tpu"); None leaves XLA's defaults.

  ynnpack: XLA:CPU's YNNPACK dots (XLA's default) instead of its own kernels.
  scheduler: "memory_optimized" (ganjax's default) or "default" (XLA's), for XLA:CPU."""
  if scheduler not in CPU_SCHEDULERS:
    raise ConfigError(f"unknown XLA:CPU scheduler {scheduler!r}; use one of "
                      f"{sorted(CPU_SCHEDULERS)} (config.xla_cpu_scheduler).")
  if platform != "cpu":
    return None
  chosen = (() if ynnpack else _CPU_WITHOUT_YNNPACK) + CPU_SCHEDULERS[scheduler]
  options = dict(option for option in chosen if _cpu_accepts((option,)))
  return options or None
