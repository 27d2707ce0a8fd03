r"""Every family at a fixed budget: train its config, score 10,000 samples, save a sample grid.

  python benchmarks/families.py --configs=dcgan_fashion_mnist,fcgan_fashion_mnist,vae_fashion_mnist \
      --seeds=0 --steps=2000 --grids=docs/images

For each config and seed: trains experiments/configs/<config>.py for --steps steps (its own batch
size and optimizers) in --workdir_root/<config>_s<seed>, draws --num_samples samples from the
family's sampler (EMA weights), scores FID and KID against the test split with the shipped
Fashion-MNIST CNN (docs/metrics.md) plus the run's own metrics (intra-class FID and conditional
accuracy for class-conditional families, code accuracy for InfoGAN; ganjax/metrics/conditional.py),
writes the first seed's grid to --grids/<config>.png (8x8; a row per class for conditional
families, the code traversals for InfoGAN),
and prints one markdown row per run plus a mean over seeds: the README's families table and
BENCHMARKS.md are filled from this output. The toy mixtures (gan_ring8, gan_grid25) keep their
config's budget and report modes covered and high-quality samples instead of FID / KID, with the
last scatter plot as their image. Runs in one process, one run after another.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import json  # noqa: E402
import shutil  # noqa: E402

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from experiments import configs  # noqa: E402

_CONFIGS = flags.DEFINE_list("configs", ["dcgan_fashion_mnist", "fcgan_fashion_mnist",
                                         "vae_fashion_mnist"],
                              "experiments/configs module names; NAME:STEPS overrides --steps for "
                              "that config (equal wall-clock budgets: steps from each one's rate).")
_SEEDS = flags.DEFINE_list("seeds", ["0"], "Training seeds.")
_STEPS = flags.DEFINE_integer("steps", 2000, "Training steps per run.")
_NUM = flags.DEFINE_integer("num_samples", 10_000, "Samples scored per run.")
_ROOT = flags.DEFINE_string("workdir_root", "/tmp/ganjax_families", "Where the runs' workdirs go.")
_GRIDS = flags.DEFINE_string("grids", "docs/images", "Directory of the sample grids ('' = none).")
_SET = flags.DEFINE_list("set", [], "Config overrides for every run, KEY=VALUE with a dotted key and a "
                         "Python literal: --set=model.g_features=32,d_steps=2.")
_TAG = flags.DEFINE_string("tag", "", "Suffix of the runs' workdirs and grids (with --set: '_cpu').")


def parse_overrides(entries: list[str]) -> dict:
  """['d_steps=2', "dataset.name='digits'"] -> {'d_steps': 2, 'dataset.name': 'digits'}."""
  import ast
  out = {}
  for entry in entries:
    key, sep, value = entry.partition("=")
    if not sep or not key:
      raise ValueError(f"--set entry {entry!r}: expected KEY=VALUE, e.g. model.g_features=32")
    try:
      out[key] = ast.literal_eval(value)
    except (ValueError, SyntaxError):
      raise ValueError(f"--set entry {entry!r}: {value!r} is not a Python literal (quote strings: "
                       f"key='text')") from None
  return out


def parse_config_arg(arg: str, default_steps: int) -> tuple[str, int]:
  """'sngan_fashion_mnist32:400' -> ('sngan_fashion_mnist32', 400); 'dcgan' -> ('dcgan', default)."""
  name, _, steps = arg.partition(":")
  if steps and not steps.isdigit():
    raise ValueError(f"--configs entry {arg!r}: expected NAME or NAME:STEPS with an integer STEPS")
  return name, int(steps) if steps else default_steps


def run(config_name: str, seed: int, steps: int, overrides: dict | None = None, tag: str = "") -> dict:
  """Trains, scores and (first seed) saves the grid of one run. overrides: {"augment.policy": ""}
  dotted config keys set after the config is built; tag names the variant in the workdir and grid
  ("_noaug": WORKDIR_ROOT/<config>_noaug_s<seed>, GRIDS/<config>_noaug.png)."""
  import jax

  from ganjax.images import image_grid, save_png, to_uint8
  from ganjax.metrics.conditional import extra_metrics
  from ganjax.metrics.scoring import score
  from ganjax.metrics.kid import KID_DISPLAY_SCALE
  from ganjax.inference.grids import grid_layout, render_grid
  from ganjax.inference.sampling import draw_samples
  from ganjax.train.experiment import build_experiment
  from ganjax.train.loop import train_and_evaluate

  config = configs.named(config_name)
  toy = config.dataset.name in ("ring8", "grid25")
  config.seed = seed
  config.update_from_flattened_dict(overrides or {})
  if not toy:  # the toys keep their config's budget; their report comes at the last step
    config.num_train_steps, config.sample_every = steps, 0
  config.checkpoint_every = config.num_train_steps
  workdir = os.path.join(_ROOT.value, f"{config_name}{tag}_s{seed}")
  t0 = time.time()
  state = train_and_evaluate(config, workdir)
  train_s = time.time() - t0
  out = {"config": config_name, "family": config.model.name, "seed": seed, "train_s": train_s,
         "steps": config.num_train_steps, "workdir": workdir}
  grid_path = os.path.join(_GRIDS.value, f"{config_name}{tag}.png") if _GRIDS.value else None
  if grid_path and seed == int(_SEEDS.value[0]):
    os.makedirs(_GRIDS.value, exist_ok=True)
  else:
    grid_path = None
  if toy:  # modes covered and high-quality share of the last report (ganjax/metrics/toy.py)
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      last = [r for r in map(json.loads, f) if "toy/modes" in r][-1]
    if grid_path:
      shutil.copy(os.path.join(workdir, "samples", f"step_{config.num_train_steps:07d}.png"), grid_path)
    return {**out, "fid": f"{last['toy/modes']:.0f} modes", "kid": f"{last['toy/hq_percent']:.1f}% HQ"}
  exp = build_experiment(config)
  extra = extra_metrics(exp)  # ifid, cacc (class-conditional), code_acc (InfoGAN)
  row = score(metrics=["fid", "kid", *extra], run=(exp, state), num_samples=_NUM.value)
  if grid_path:
    kind = "codes" if "code_acc" in extra else "classes" if "cacc" in extra else None
    if kind:  # a row per class, or InfoGAN's code traversals
      layout = grid_layout(kind, exp, jax.random.PRNGKey(0))
      images = to_uint8(render_grid(exp, state, layout))
      save_png(grid_path, image_grid(images, ncols=layout.cols), upscale=2)
    else:
      save_png(grid_path, image_grid(draw_samples(exp, state, 64, seed=0), ncols=8), upscale=2)
  extra_cols = {k[len("eval/"):]: v for k, v in row.items()
                if k.startswith("eval/") and k[len("eval/"):] not in ("fid", "kid_mean", "kid_std")}
  # KID x 1e3, as the tables head it (raw in metrics.jsonl; ganjax/metrics/kid.py)
  return {**out, "fid": row["eval/fid"], "kid": KID_DISPLAY_SCALE * row["eval/kid_mean"],
          "extra": extra_cols}


def main(argv):
  del argv
  from ganjax.runtime import apply_process_settings
  from experiments.configs import base
  apply_process_settings(base.get_config())  # as experiments/train.py does, before JAX starts
  print("| config | family | seed | steps | FID (toys: modes) | KID x 1e3 (toys: HQ) | train s |")
  print("| --- | --- | --- | --- | --- | --- | --- |")
  overrides = parse_overrides(_SET.value)  # a malformed --set fails before any training
  for arg in _CONFIGS.value:
    name, steps = parse_config_arg(arg, _STEPS.value)
    rows = []
    for seed in _SEEDS.value:
      r = run(name, int(seed), steps, overrides, _TAG.value)
      rows.append(r)
      fmt = lambda v: f"{v:.2f}" if isinstance(v, float) else v
      print(f"| {name} | {r['family']} | {seed} | {r['steps']} | {fmt(r['fid'])} | "
            f"{fmt(r['kid'])} | {r['train_s']:.0f} |", flush=True)
      if r.get("extra"):  # the conditional / code metrics, per class included
        print(f"  {name} s{seed} " + json.dumps({k: round(v, 4) if isinstance(v, float) else v
                                                  for k, v in r["extra"].items()}), flush=True)
    if len(rows) > 1 and isinstance(rows[0]["fid"], float):
      fids = np.array([r["fid"] for r in rows])
      print(f"| {name} | mean of {len(rows)} | | {steps} | {fids.mean():.2f} +- "
            f"{fids.std(ddof=1):.2f} | {np.mean([r['kid'] for r in rows]):.2f} | |", flush=True)
      for key in ("conditional_accuracy", "intra_class_fid", "code_accuracy"):
        values = [r["extra"][key] for r in rows if key in r.get("extra", {})]
        if values:
          print(f"  {name} {key}: mean {np.mean(values):.4f} median {np.median(values):.4f} "
                f"min {np.min(values):.4f} over {len(values)} seeds", flush=True)


if __name__ == "__main__":
  app.run(main)
