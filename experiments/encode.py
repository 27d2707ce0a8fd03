r"""Encodes images with a trained run's encoder (BiGAN / ALI, VAE), newest checkpoint by default.

  python experiments/encode.py --workdir=DIR --input=x.npy --out=z.npy   # float32 [N, latent]
  python experiments/encode.py --workdir=DIR --input=x.npy --out=z.npy --reconstruct=r.npy

--input: uint8 [N, H, W, C] images (N >= 2) of the run's dataset shape, values 0..255.
--reconstruct also writes G(E(x)) as uint8 [N, H, W, C]. EMA weights by default (--noema for the
raw ones). Families without an encoder (DCGAN, ...) are refused with a message naming those that
have one.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.encoding import encode_file  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None,
                               "Training workdir (holds config.json and checkpoints/).")
_INPUT = flags.DEFINE_string("input", None, "Input .npy: uint8 [N, H, W, C] images.")
_OUT = flags.DEFINE_string("out", None, "Output .npy of the latents, float32 [N, latent].")
_RECONSTRUCT = flags.DEFINE_string(
    "reconstruct", None, "Optional output .npy of the reconstructions G(E(x)), uint8 [N, H, W, C].")
_EMA = flags.DEFINE_bool("ema", True, "Use the EMA weights of the encoder and generator.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
_BATCH = flags.DEFINE_integer("batch_size", 256, "Images encoded per batch.")
flags.mark_flags_as_required(["workdir", "input", "out"])


def main(argv):
  del argv
  quiet_library_logs()
  try:
    result = encode_file(_WORKDIR.value, _INPUT.value, _OUT.value, reconstruct=_RECONSTRUCT.value,
                         ema=_EMA.value, step=_STEP.value, batch_size=_BATCH.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  for path, shape in filter(None, result.values()):
    print(f"wrote {path} {shape}")


if __name__ == "__main__":
  app.run(main)
