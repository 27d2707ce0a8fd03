r"""Writes samples of a trained GAN from its workdir's newest checkpoint.

  python experiments/sample.py --workdir=DIR --num=N --out=samples.npy   # uint8 [N, H, W, C]
  python experiments/sample.py --workdir=DIR --num=64 --out=grid.png     # one PNG grid

EMA generator weights by default (--noema for the raw generator).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.restore import write_samples  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (holds config.json and checkpoints/).")
_NUM = flags.DEFINE_integer("num", 64, "Number of samples.")
_OUT = flags.DEFINE_string("out", None, "Output file: .npy (uint8 NHWC array) or .png (grid).")
_EMA = flags.DEFINE_bool("ema", True, "Sample with the EMA generator weights.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latent codes.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.mark_flags_as_required(["workdir", "out"])


def main(argv):
  del argv
  quiet_library_logs()
  try:
    path, shape = write_samples(_WORKDIR.value, _OUT.value, num=_NUM.value, ema=_EMA.value,
                                seed=_SEED.value, step=_STEP.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  print(f"wrote {path} {shape}")


if __name__ == "__main__":
  app.run(main)
