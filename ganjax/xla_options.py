"""XLA compiler options for ganjax's own compiled functions, chosen per backend by measurement.

XLA:CPU (jax 0.10) hands dots to the YNNPACK library by default
(`xla_cpu_experimental_ynn_fusion_type` = INDIVIDUAL_DOT). On this project's 2-core AVX2 machine
XLA's own (Eigen) kernels run the seed DCGAN's train step 1.17x faster at batch 32 and 1.48x at
batch 256, and the FID InceptionV3 extracts features 2.2-2.4x faster (BENCHMARKS.md,
"Optimizations"), so ganjax compiles its train, init and sample functions with YNNPACK off unless
`config.xla_cpu_ynnpack` is True, and its metric feature networks always. The options go to each
function's `jax.jit(compiler_options=...)`: nothing else in the user's process changes, and other
backends get none. The option is experimental in XLA: a jaxlib that does not know it compiles
with its defaults instead of failing.
"""

from __future__ import annotations

import functools

import jax
import numpy as np

# The empty list of library fusion types: no dot or convolution goes to YNNPACK.
_CPU_WITHOUT_YNNPACK = (("xla_cpu_experimental_ynn_fusion_type", ""),)


@functools.lru_cache(maxsize=None)
def _cpu_accepts(options: tuple[tuple[str, str], ...]) -> bool:
  """Whether this jaxlib's XLA:CPU compiles with these debug options (one tiny compile, cached)."""
  x = jax.device_put(np.float32(0), jax.devices("cpu")[0])
  try:
    jax.jit(lambda v: v + 1, compiler_options=dict(options)).lower(x).compile()
  except Exception:  # an unknown option or value: jaxlib's runtime error (its type varies by version)
    return False
  return True


def compiler_options(platform: str, ynnpack: bool = False) -> dict | None:
  """Options for jax.jit on `platform` ("cpu", "gpu", "tpu"); None leaves XLA's defaults."""
  if platform == "cpu" and not ynnpack and _cpu_accepts(_CPU_WITHOUT_YNNPACK):
    return dict(_CPU_WITHOUT_YNNPACK)
  return None
