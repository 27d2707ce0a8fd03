r"""Steps/s of one config on 1, 2, 4, 8 devices at a fixed global batch, in jit and pmap modes.

  XLA_FLAGS=--xla_force_host_platform_device_count=8 python benchmarks/scaling.py \
      --config=experiments/configs/dcgan_fashion_mnist.py --batch_size=64 --steps=10

On fake CPU devices this checks that the sharded step runs at every device count (the devices
share the same cores, so it measures overhead, not speed-up). On a GPU host, pass the real count.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
from absl import app, flags  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from ganjax.train.timing import apply_timing_process_settings, time_config  # noqa: E402

_CONFIG = config_flags.DEFINE_config_file("config", "experiments/configs/dcgan_fashion_mnist.py",
                                          "Experiment config.")
_BATCH = flags.DEFINE_integer("batch_size", 64, "Global batch size (divisible by every count).")
_COUNTS = flags.DEFINE_list("device_counts", ["1", "2", "4", "8"], "Device counts to time.")
_MODES = flags.DEFINE_list("modes", ["jit", "pmap"], "Parallelism modes.")
_STEPS = flags.DEFINE_integer("steps", 10, "Steps per timed window.")


def main(argv):
  del argv
  apply_timing_process_settings(_CONFIG.value)  # host memory as in training; before the backend
  print(f"backend={jax.default_backend()} visible devices={jax.device_count()} "
        f"global batch={_BATCH.value}")
  print(f"{'mode':>5} {'devices':>8} {'compile_s':>10} {'steps/s':>9} {'images/s':>9}")
  for mode in _MODES.value:
    for n in map(int, _COUNTS.value):
      if n > jax.device_count():
        continue
      cfg = _CONFIG.value.copy_and_resolve_references()
      cfg.runtime.parallelism, cfg.runtime.num_devices = mode, n
      r = time_config(cfg, _BATCH.value, _STEPS.value, repeats=3)
      print(f"{mode:>5} {n:>8} {r['compile_s']:>10.2f} {r['steps_per_s']:>9.2f} {r['images_per_s']:>9.0f}")


if __name__ == "__main__":
  app.run(main)
