r"""Training speed of a config on the current backend: steps/s and images/s, compile time apart.

  python benchmarks/train_speed.py --config=experiments/configs/dcgan_fashion_mnist.py \
      --batch_sizes=32,256 --steps=50 --repeats=3

Times the jitted step alone on a fixed device-resident batch (input pipeline excluded), after a
warm-up call that compiles; reports the median of `repeats` timed windows of `steps` steps.
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
_BATCHES = flags.DEFINE_list("batch_sizes", ["32", "256"], "Global batch sizes to time.")
_STEPS = flags.DEFINE_integer("steps", 50, "Steps per timed window.")
_REPEATS = flags.DEFINE_integer("repeats", 3, "Timed windows; the median is reported.")


def main(argv):
  del argv
  apply_timing_process_settings(_CONFIG.value)  # host memory as in training; before the backend
  print(f"backend={jax.default_backend()} devices={jax.device_count()} "
        f"model={_CONFIG.value.model.name} dataset={_CONFIG.value.dataset.name}")
  print(f"{'batch':>6} {'compile_s':>10} {'steps/s':>9} {'images/s':>9}")
  for b in _BATCHES.value:
    r = time_config(_CONFIG.value, int(b), _STEPS.value, _REPEATS.value)
    print(f"{r['batch']:>6} {r['compile_s']:>10.2f} {r['steps_per_s']:>9.2f} {r['images_per_s']:>9.0f}")


if __name__ == "__main__":
  app.run(main)
