r"""Translates images with a trained image-to-image run (pix2pix, CycleGAN, DiscoGAN).

  python experiments/translate.py --workdir=DIR --input=x.npy --out=y.npy [--direction=a2b|b2a]
  python experiments/translate.py --workdir=DIR --split=test --num=N --out=t.npz
  python experiments/translate.py --workdir=DIR --split=test --num=16 --out=pairs.png

--input: uint8 [N, H, W, C] images of the run's data shape (32x32x1 for the Fashion-MNIST
translation sets); --out .npy gets the uint8 translations. --split translates the first --num
examples of the run's dataset's split (of the input domain, for unpaired data) and writes an .npz
of "inputs", "outputs" and "labels" (the source class). A .png --out writes input | output pairs
side by side. Directions: a2b for every model; b2a for unpaired ones (CycleGAN, DiscoGAN).
EMA weights by default (--noema for the raw ones).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.translating import translate_file  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (config.json and checkpoints/).")
_INPUT = flags.DEFINE_string("input", None, "Input .npy: uint8 [N, H, W, C] images.")
_SPLIT = flags.DEFINE_string("split", None, "Translate this split of the run's dataset instead.")
_NUM = flags.DEFINE_integer("num", None, "With --split: the first N examples (default: all).")
_OUT = flags.DEFINE_string("out", None, "Output: .npy (with --input), .npz (with --split) or .png.")
_DIRECTION = flags.DEFINE_string("direction", "a2b", "a2b, or b2a for unpaired models.")
_EMA = flags.DEFINE_bool("ema", True, "Use the generators' EMA weights.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.mark_flags_as_required(["workdir", "out"])


def main(argv):
  del argv
  quiet_library_logs()
  try:
    result = translate_file(_WORKDIR.value, _OUT.value, input_path=_INPUT.value, split=_SPLIT.value,
                            num=_NUM.value, direction=_DIRECTION.value, ema=_EMA.value,
                            step=_STEP.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  print(f"wrote {result['path']} {result['shape']}")


if __name__ == "__main__":
  app.run(main)
