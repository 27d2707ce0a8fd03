r"""Image-to-image translation families at a fixed budget: train, translate the test split, score.

  python benchmarks/translation.py --configs=pix2pix_edges2fashion --seeds=0,1,2 --steps=2000
  python benchmarks/translation.py --configs=pix2pix_edges2fashion --seeds=0,1,2 --steps=2000 \
      --set='{"model.adversarial": false}' --tag=l1_only      # the paper's L1-only ablation

For each config and seed: trains experiments/configs/<config>.py (its batch size and optimizers,
--set overrides applied; a learning-rate decay over the config's num_train_steps is rescaled to
--steps) in --workdir_root/<config><_tag>_s<seed>, scores every direction on the whole test split
(ganjax/metrics/translation.py: translation accuracy with the shipped classifier, FID against the
target domain's test images, cycle L1, and L1 / SSIM for paired data), writes the first seed's
grid (test input | output | reconstruction or target) to --grids/<config><_tag>.png, and prints
one markdown row per run and the mean over seeds, for BENCHMARKS.md and the README.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import json  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from experiments import configs  # noqa: E402

_CONFIGS = flags.DEFINE_list("configs", ["pix2pix_edges2fashion"], "experiments/configs modules.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Training seeds.")
_STEPS = flags.DEFINE_integer("steps", 2000, "Training steps per run.")
_SET = flags.DEFINE_string("set", "{}", 'JSON {"dotted.field": value} applied to every config.')
_TAG = flags.DEFINE_string("tag", "", "Suffix of the workdirs and grid names for --set variants.")
_ROOT = flags.DEFINE_string("workdir_root", "/tmp/ganjax_translation", "Where the workdirs go.")
_GRIDS = flags.DEFINE_string("grids", "docs/images", "Directory of the grids ('' = none).")


def configure(name: str, seed: int):
  config = configs.named(name)
  for dotted, value in json.loads(_SET.value).items():
    node, *path = dotted.split(".")
    target = config
    for part in [node, *path][:-1]:
      target = target[part]
    target[[node, *path][-1]] = tuple(value) if isinstance(value, list) else value
  scale = _STEPS.value / config.num_train_steps
  for opt in config.optimizers.values():  # keep "constant for a share, then decay" at any budget
    for field in ("decay_start", "decay_steps"):
      if opt.get(field) is not None:
        opt[field] = max(int(round(opt[field] * scale)), 1 if field == "decay_steps" else 0)
  config.seed, config.num_train_steps = seed, _STEPS.value
  config.sample_every, config.checkpoint_every = 0, _STEPS.value
  return config


def run(name: str, seed: int, grid: str | None) -> dict:
  from ganjax.images import image_grid, save_png
  from ganjax.metrics.scoring import score
  from ganjax.train.loop import train_and_evaluate
  from ganjax.train.restore import restore_run
  from ganjax.inference.translation import translation_grid

  config = configure(name, seed)
  suffix = f"_{_TAG.value}" if _TAG.value else ""
  workdir = os.path.join(_ROOT.value, f"{name}{suffix}_s{seed}")
  t0 = time.time()
  train_and_evaluate(config, workdir)
  train_s = time.time() - t0
  exp, state = restore_run(workdir)
  row = score(run=(exp, state))
  if grid:
    os.makedirs(os.path.dirname(grid) or ".", exist_ok=True)
    images, cols = translation_grid(exp, state, 8)
    save_png(grid, image_grid(images, ncols=cols), upscale=2)
  scores = {k[len("eval/"):]: v for k, v in row.items() if k.startswith("eval/")}
  return {"seed": seed, "train_s": train_s, "scores": scores}


def main(argv):
  del argv
  from ganjax.runtime import apply_process_settings
  from experiments.configs import base
  apply_process_settings(base.get_config())  # as experiments/train.py does, before JAX starts
  for name in _CONFIGS.value:
    rows, suffix = [], f"_{_TAG.value}" if _TAG.value else ""
    for i, seed in enumerate(_SEEDS.value):
      grid = os.path.join(_GRIDS.value, f"{name}{suffix}.png") if _GRIDS.value and i == 0 else None
      rows.append(run(name, int(seed), grid))
      if i == 0:
        columns = sorted(rows[0]["scores"])
        print(f"| config | seed | steps | {' | '.join(columns)} | train s |")
        print("| --- " * (len(columns) + 4) + "|")
      r = rows[-1]
      print(f"| {name}{suffix} | {seed} | {_STEPS.value} | "
            + " | ".join(f"{r['scores'][c]:.4g}" for c in columns) + f" | {r['train_s']:.0f} |",
            flush=True)
    if len(rows) > 1:
      cells = []
      for c in columns:
        v = np.array([r["scores"][c] for r in rows])
        cells.append(f"{v.mean():.4g} +- {v.std(ddof=1):.2g} (min {v.min():.4g})")
      print(f"| {name}{suffix} | mean of {len(rows)} | {_STEPS.value} | " + " | ".join(cells) + " | |",
            flush=True)


if __name__ == "__main__":
  app.run(main)
