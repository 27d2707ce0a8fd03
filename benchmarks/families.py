r"""Every family at a fixed budget: train its config, score 10,000 samples, save a sample grid.

  python benchmarks/families.py --configs=dcgan_fashion_mnist,fcgan_fashion_mnist,vae_fashion_mnist \
      --seeds=0 --steps=2000 --grids=docs/images

For each config and seed: trains experiments/configs/<config>.py for --steps steps (its own batch
size and optimizers) in --workdir_root/<config>_s<seed>, draws --num_samples samples from the
family's sampler (EMA weights), scores FID and KID against the test split with the shipped
Fashion-MNIST CNN (docs/metrics.md), writes the first seed's 8x8 grid to --grids/<config>.png,
and prints one markdown row per run plus a mean over seeds: the README's families table and
BENCHMARKS.md are filled from this output. Runs in one process, one run after another.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import importlib  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

_CONFIGS = flags.DEFINE_list("configs", ["dcgan_fashion_mnist", "fcgan_fashion_mnist",
                                         "vae_fashion_mnist"], "experiments/configs module names.")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Training seeds.")
_STEPS = flags.DEFINE_integer("steps", 2000, "Training steps per run.")
_NUM = flags.DEFINE_integer("num_samples", 10_000, "Samples scored per run.")
_ROOT = flags.DEFINE_string("workdir_root", "/tmp/ganjax_families", "Where the runs' workdirs go.")
_GRIDS = flags.DEFINE_string("grids", "docs/images", "Directory of the sample grids ('' = none).")


def run(config_name: str, seed: int) -> dict:
  from ganjax.images import image_grid, save_png
  from ganjax.metrics.scoring import score
  from ganjax.sampling import draw_samples
  from ganjax.train.experiment import build_experiment
  from ganjax.train.loop import train_and_evaluate

  config = importlib.import_module(f"experiments.configs.{config_name}").get_config()
  config.seed, config.num_train_steps = seed, _STEPS.value
  config.sample_every, config.checkpoint_every = 0, _STEPS.value
  workdir = os.path.join(_ROOT.value, f"{config_name}_s{seed}")
  t0 = time.time()
  state = train_and_evaluate(config, workdir)
  train_s = time.time() - t0
  exp = build_experiment(config)
  row = score(metrics="fid,kid", run=(exp, state), num_samples=_NUM.value)
  if _GRIDS.value and seed == int(_SEEDS.value[0]):
    os.makedirs(_GRIDS.value, exist_ok=True)
    grid = image_grid(draw_samples(exp, state, 64, seed=0), ncols=8)
    save_png(os.path.join(_GRIDS.value, f"{config_name}.png"), grid, upscale=2)
  return {"config": config_name, "family": config.model.name, "seed": seed,
          "fid": row["eval/fid"], "kid": row["eval/kid_mean"], "train_s": train_s}


def main(argv):
  del argv
  from ganjax.runtime import apply_process_settings
  from experiments.configs import base
  apply_process_settings(base.get_config())  # as experiments/train.py does, before JAX starts
  print(f"| config | family | seed | steps | FID | KID (x 1e3) | train s |")
  print("| --- | --- | --- | --- | --- | --- | --- |")
  for name in _CONFIGS.value:
    rows = []
    for seed in _SEEDS.value:
      r = run(name, int(seed))
      rows.append(r)
      print(f"| {name} | {r['family']} | {seed} | {_STEPS.value} | {r['fid']:.2f} | "
            f"{r['kid']:.2f} | {r['train_s']:.0f} |", flush=True)
    if len(rows) > 1:
      fids = np.array([r["fid"] for r in rows])
      print(f"| {name} | mean of {len(rows)} | | {_STEPS.value} | {fids.mean():.2f} +- "
            f"{fids.std(ddof=1):.2f} | {np.mean([r['kid'] for r in rows]):.2f} | |", flush=True)


if __name__ == "__main__":
  app.run(main)
