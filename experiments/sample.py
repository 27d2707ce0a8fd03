r"""Writes samples of a trained GAN from its workdir's newest checkpoint.

  python experiments/sample.py --workdir=DIR --num=N --out=samples.npy   # uint8 [N, H, W, C]
  python experiments/sample.py --workdir=DIR --num=64 --out=grid.png     # one PNG grid
  python experiments/sample.py --workdir=DIR --num=16 --out=shapes/      # gan3d: one .obj mesh each

A .npy holds the samples in the dataset's stored form: uint8 [N, H, W, C] images, uint8 0 / 1
[N, D, H, W, 1] voxel grids (occupied from 0.5), float32 points.

Fixing a code (checked against the run's model before sampling):

  --label=K   every sample of class K (class-conditional families: cgan, acgan, projection)
  --code=K    InfoGAN's categorical code fixed to K (infogan)

Grids (PNG only; ganjax/inference/grids.py; --num sets the columns, default 10):

  --grid=classes      one row per class, --num samples per class; a column shares its noise
  --grid=codes        InfoGAN: a block of --rows rows (default 5) per code: the categorical code
                      takes its K values along each row (K columns), then each continuous code
                      goes from -2 to 2; the other codes are fixed along a row, rows differ
  --grid=interpolate  --rows pairs of latents (default 8), each row a spherical interpolation
                      (slerp) between them in --num steps; other codes fixed per row

  --grid=mixing       StyleGAN2: --num column sources (default 6) along the top, --rows row sources
                      (default 5) down the left; each cell takes the column source's coarse styles
                      and the row source's fine ones, with shared noise

  python experiments/sample.py --workdir=DIR --out=classes.png --grid=classes --num=8

Truncation trick (BigGAN, StyleGAN2; checked against the model):

  --truncation=PSI    1 leaves samples unchanged, 0 gives the mean (StyleGAN2: the average w;
                      BigGAN: z = 0 for the class); lower psi trades variety for fidelity

Conditioning as data (any family that takes `cond`; ganjax/core/capabilities.py):

  --cond=FILE.npz     one array per field, in the dataset's stored form, one sample per row:
                      np.savez(f, label=labels) (classes), np.savez(f, lr=uint8 [N, h, w, c])
                      (super-resolution), np.savez(f, tokens=int [N, T]) (text); families that
                      sample from an input use the first --num test examples without it

EMA generator weights by default (--noema for the raw generator). --seed picks the codes.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.restore import write_samples  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (holds config.json and checkpoints/).")
_NUM = flags.DEFINE_integer("num", None, "Number of samples (default 64); with --grid, the "
                            "columns per row (default 10).")
_OUT = flags.DEFINE_string("out", None, "Output: .npy (the dataset's stored form: uint8 NHWC "
                            "images), .png (grid), or DIR/ (one file per sample, e.g. .obj meshes).")
_EMA = flags.DEFINE_bool("ema", True, "Sample with the EMA generator weights.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latent codes.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
_LABEL = flags.DEFINE_integer("label", None, "Class of every sample (class-conditional models).")
_CODE = flags.DEFINE_integer("code", None, "InfoGAN's categorical code of every sample.")
_TRUNCATION = flags.DEFINE_float("truncation", None, "Truncation psi (BigGAN, StyleGAN2): 1 leaves "
                                  "samples unchanged, 0 gives the mean; lower trades variety for fidelity.")
_GRID = flags.DEFINE_enum("grid", None, ["classes", "codes", "interpolate", "mixing"],
                          "Write a PNG grid varying one code (see the module docstring).")
_ROWS = flags.DEFINE_integer("rows", None, "Rows per code (--grid=codes, default 5), latent "
                             "pairs (--grid=interpolate, default 8) or row sources (--grid=mixing, "
                             "default 5).")
_COND = flags.DEFINE_string("cond", None, "An .npz of conditioning fields (labels, a low-resolution "
                            "image, token ids), one sample per row (see the module docstring).")
flags.mark_flags_as_required(["workdir", "out"])


def main(argv):
  del argv
  quiet_library_logs()
  try:
    path, shape = write_samples(_WORKDIR.value, _OUT.value, num=_NUM.value, ema=_EMA.value,
                                seed=_SEED.value, step=_STEP.value, label=_LABEL.value,
                                code=_CODE.value, grid=_GRID.value, rows=_ROWS.value,
                                truncation=_TRUNCATION.value, cond=_COND.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  print(f"wrote {path} {shape}")


if __name__ == "__main__":
  app.run(main)
