r"""Upscales low-resolution images with a trained super-resolution run (srresnet, srgan, esrgan).

  python experiments/upscale.py --workdir=DIR --input=lr.npy --out=sr.npy
  python experiments/upscale.py --workdir=DIR --input=lr.png --out=sr.png
  python experiments/upscale.py --workdir=DIR --input=lr.npy --out=sr.npy --compare=rows.png \
      [--hr=hr.npy]

--input: uint8 [N, h, w, C] (.npy) or one grey / RGB image (.png) of the run's low-resolution
shape (7x7x1 for fashion_mnist_sr4); another shape or channel count stops with an error naming
both. --out: .npy of uint8 [N, s*h, s*w, C], or .png (the image for N = 1, a grid otherwise).
--compare: a PNG with one row per image, LR (nearest) | bicubic | output, and | HR with --hr
(uint8 [N, s*h, s*w, C] .npy). Nothing is written inside --workdir (its checkpoints are read
only). EMA weights where the run keeps them (--noema for the raw ones).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402
import numpy as np  # noqa: E402

from ganjax.errors import ConfigError, DataFormatError, GanjaxError  # noqa: E402
from ganjax.images import image_grid, save_png  # noqa: E402
from ganjax.inference.upscaling import (check_lr, compare_rows, read_images,  # noqa: E402
                                        upscale_images)
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.experiment import build_experiment  # noqa: E402
from ganjax.train.restore import load_config, restore_state  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (config.json and checkpoints/).")
_INPUT = flags.DEFINE_string("input", None, "Low-resolution images: uint8 [N, h, w, C] .npy or a .png.")
_OUT = flags.DEFINE_string("out", None, "Output: .npy (uint8 [N, H, W, C]) or .png.")
_COMPARE = flags.DEFINE_string("compare", None, "Also write LR | bicubic | output (| HR) rows here (.png).")
_HR = flags.DEFINE_string("hr", None, "With --compare: the high-resolution images, uint8 .npy.")
_EMA = flags.DEFINE_bool("ema", True, "Use G's EMA weights where the run keeps them.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
flags.mark_flags_as_required(["workdir", "input", "out"])


def _check_out(path: str, workdir: str, kinds: tuple[str, ...], flag: str) -> None:
  if os.path.splitext(path)[1].lower() not in kinds:
    raise ConfigError(f"{flag}={path!r} must end in {' or '.join(kinds)}.")
  inside = os.path.commonpath([os.path.realpath(workdir), os.path.realpath(os.path.abspath(path))])
  if inside == os.path.realpath(workdir):
    raise ConfigError(f"{flag}={path!r} lies inside --workdir={workdir!r}; upscale.py never writes "
                      f"into a run's workdir: write it elsewhere.")


def upscale_file(workdir: str, input_path: str, out: str, *, compare: str | None = None,
                 hr_path: str | None = None, ema: bool = True, step: int | None = None) -> dict:
  """Reads, checks (before the checkpoint is read), upscales and writes; returns {"path", "shape"}."""
  _check_out(out, workdir, (".npy", ".png"), "--out")
  if compare is not None:
    _check_out(compare, workdir, (".png",), "--compare")
  exp = build_experiment(load_config(workdir))
  lr = check_lr(exp, read_images(input_path), f"input file {input_path}")
  hr = None
  if hr_path is not None:
    if compare is None:
      raise ConfigError("--hr is only read with --compare=rows.png.")
    hr = np.load(hr_path, allow_pickle=False)
    want = (len(lr), *exp.data_shape)
    if hr.dtype != np.uint8 or hr.shape != want:
      raise DataFormatError(f"--hr file {hr_path}: got {hr.dtype} of shape {hr.shape}, expected "
                            f"uint8 {want} (one high-resolution image per input).")
  sr = upscale_images(exp, restore_state(exp, workdir, step), lr, ema=ema)
  for path in (out, compare):
    if path:
      os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  if out.lower().endswith(".png"):
    save_png(out, sr[0] if len(sr) == 1 else image_grid(sr))
  else:
    np.save(out, sr)
  if compare is not None:
    save_png(compare, compare_rows(lr, sr, hr), upscale=4)
  return {"path": out, "shape": sr.shape}


def main(argv):
  del argv
  quiet_library_logs()
  try:
    result = upscale_file(_WORKDIR.value, _INPUT.value, _OUT.value, compare=_COMPARE.value,
                          hr_path=_HR.value, ema=_EMA.value, step=_STEP.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  print(f"wrote {result['path']} {result['shape']}")


if __name__ == "__main__":
  app.run(main)
