r"""Small-data augmentation ablation: one config trained with and without discriminator augmentation
on the same seeds and budget, scored the same way (issue 19's data-efficient GAN result).

  python benchmarks/augment_ablation.py --config=stylegan2_emoji32 --arms=none,ada \
      --seeds=0,1,2 --steps=700 --eval_every=100 --num_samples=5000

Arms (config overrides on top of --config):
  none         config.augment.policy = ''  (no augmentation)
  ada          the config's adaptive augmentation, with config.augment.ada_kimg = --ada_kimg
  diffaugment  fixed probability p = 1 (DiffAugment, Zhao et al. 2020): config.augment.ada = False

Each run goes through benchmarks/families.py `run` (train, then FID / KID of --num_samples EMA
samples against the dataset's FID reference split with its feature network; emoji32: the 1240
training images through emoji32_cnn) with periodic evaluation on (eval_every steps,
eval_num_samples samples), so the FID trajectory is printed too. Prints a row per run, the mean
+- std per arm, and the per-seed paired differences against the first arm.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import json  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

import families  # noqa: E402  (benchmarks/families.py; its flags: --num_samples, --workdir_root, --grids, --set, --tag)

_CONFIG = flags.DEFINE_string("config", "stylegan2_emoji32", "experiments/configs module name.")
_ARMS = flags.DEFINE_list("arms", ["none", "ada"], "Arms to compare: none, ada, diffaugment.")
_ABL_SEEDS = flags.DEFINE_list("ablation_seeds", ["0", "1", "2"], "Training seeds (each arm, same seeds).")
_ABL_STEPS = flags.DEFINE_integer("ablation_steps", 700, "Training steps per run (the shared budget).")
_EVAL_EVERY = flags.DEFINE_integer("eval_every", 100, "Periodic FID every this many steps (0 = off).")
_EVAL_NUM = flags.DEFINE_integer("eval_num_samples", 1000, "Samples per periodic FID.")
_ADA_KIMG = flags.DEFINE_float("ada_kimg", 100.0, "ada arm: thousands of images for p to move by 1.")


def arm_overrides(arm: str) -> dict:
  """Config overrides of an arm name; ValueError naming the known arms otherwise."""
  arms = {"none": {"augment.policy": ""},
          "ada": {"augment.ada": True, "augment.ada_kimg": _ADA_KIMG.value},
          "diffaugment": {"augment.ada": False, "augment.p": 1.0}}
  if arm not in arms:
    raise ValueError(f"--arms: unknown arm {arm!r}; known: {', '.join(arms)}")
  return arms[arm]


def trajectory(workdir: str) -> tuple[list[tuple[int, float]], float | None]:
  """[(step, periodic FID)] and the last logged ADA probability p (None without ADA)."""
  fids, p = [], None
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    for row in map(json.loads, f):
      if "eval/fid" in row:
        fids.append((row["step"], row["eval/fid"]))
      if "ada_p" in row:
        p = row["ada_p"]
  return fids, p


def main(argv):
  del argv
  from ganjax.runtime import apply_process_settings
  from experiments.configs import base
  apply_process_settings(base.get_config())
  for arm in _ARMS.value:
    arm_overrides(arm)  # fail on a bad name before hours of training
  common = families.parse_overrides(families._SET.value)  # --set: every arm's shared recipe
  seeds = [int(s) for s in _ABL_SEEDS.value]
  print(f"| arm | seed | steps | FID ({families._NUM.value} samples) | KID x 1e3 | periodic FID "
        f"({_EVAL_EVERY.value}-step, {_EVAL_NUM.value} samples) | final ADA p | train s |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- |")
  fid = {arm: {} for arm in _ARMS.value}
  for seed in seeds:  # seed-major: every arm of a seed is done before the next seed starts
    for arm in _ARMS.value:
      overrides = {**common, **arm_overrides(arm), "eval_every": _EVAL_EVERY.value,
                   "eval_num_samples": _EVAL_NUM.value, "eval_metrics": "fid"}
      r = families.run(_CONFIG.value, seed, _ABL_STEPS.value, overrides,
                       tag=f"{families._TAG.value}_{arm}")
      fids, p = trajectory(r["workdir"])
      fid[arm][seed] = r["fid"]
      path = " ".join(f"{f:.0f}" for _, f in fids)
      print(f"| {arm} | {seed} | {r['steps']} | {r['fid']:.2f} | {r['kid']:.2f} | {path} | "
            f"{'-' if p is None else f'{p:.3f}'} | {r['train_s']:.0f} |", flush=True)
  first = _ARMS.value[0]
  for arm in _ARMS.value:
    values = np.array([fid[arm][s] for s in seeds])
    line = f"{arm}: FID mean {values.mean():.2f} +- {values.std(ddof=1) if len(values) > 1 else 0:.2f}"
    if arm != first:
      diffs = np.array([fid[first][s] - fid[arm][s] for s in seeds])
      line += (f"; {first} minus {arm} per seed {np.round(diffs, 2).tolist()} "
               f"({int(np.sum(diffs > 0))}/{len(seeds)} seeds lower with {arm})")
    print(line, flush=True)


if __name__ == "__main__":
  app.run(main)
