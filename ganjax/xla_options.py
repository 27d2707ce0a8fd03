"""XLA compiler options for ganjax's own compiled functions, chosen per backend by measurement.

XLA:CPU (jax 0.10) hands dots to the YNNPACK library by default
(`xla_cpu_experimental_ynn_fusion_type` = INDIVIDUAL_DOT). On this project's 2-core AVX2 machine
XLA's own (Eigen) kernels run the seed DCGAN's train step 1.17x faster at batch 32 and 1.48x at
batch 256, and the FID InceptionV3 extracts features 2.2-2.4x faster (BENCHMARKS.md,
"Optimizations"), so ganjax compiles its train, init and sample functions with YNNPACK off unless
`config.xla_cpu_ynnpack` is True, and its metric feature networks always. The options go to each
function's `jax.jit(compiler_options=...)`: nothing else in the user's process changes, and other
backends get none.
"""

from __future__ import annotations

# The empty list of library fusion types: no dot or convolution goes to YNNPACK.
_CPU_WITHOUT_YNNPACK = {"xla_cpu_experimental_ynn_fusion_type": ""}


def compiler_options(platform: str, ynnpack: bool = False) -> dict | None:
  """Options for jax.jit on `platform` ("cpu", "gpu", "tpu"); None leaves XLA's defaults."""
  if platform == "cpu" and not ynnpack:
    return dict(_CPU_WITHOUT_YNNPACK)
  return None
