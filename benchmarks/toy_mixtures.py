r"""Losses x regularizers on the 2-D Gaussian mixtures, over seeds: modes covered, high-quality
samples and reverse KL (ganjax.metrics.toy), as a mean +- std table written into BENCHMARKS.md.

  python benchmarks/toy_mixtures.py --losses=all --regularizers=none --seeds=0,1,2 --steps=3000
  python benchmarks/toy_mixtures.py --grid25 ...            # the 5x5 grid instead of the ring
  python benchmarks/toy_mixtures.py --regularizers=none,gradient_penalty,r1 --reg_hparams='{"r1": {"weight": 0.1}}'

Every run trains experiments/configs/gan_ring8.py (or gan_grid25.py) with the loss, the
regularizer (`config.regularizers = {name: hyperparameters}`) and the seed swapped in, through
the normal training loop, and scores 2500 EMA samples at the last step. --write=False only prints.
"""

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from ganjax.errors import ConfigError  # noqa: E402
from ganjax.losses import LOSSES  # noqa: E402

_LOSSES = flags.DEFINE_list("losses", ["all"], "ganjax.losses.LOSSES names, or 'all'.")
_REGS = flags.DEFINE_list("regularizers", ["none"],
                          "'none' and/or ganjax.regularizers.REGULARIZERS names.")
_REG_HPARAMS = flags.DEFINE_string("reg_hparams", "{}",
                                   "JSON {name: {hyperparameter: value}} overriding DEFAULT_HPARAMS.")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1", "2"], "Training seeds (3+ for a mean +- std).")
_STEPS = flags.DEFINE_integer("steps", None, "Training steps per run (default: the config's).")
_GRID = flags.DEFINE_bool("grid25", False, "Use the 5x5 grid instead of the ring of 8.")
_WRITE = flags.DEFINE_bool("write", True, "Write the table into BENCHMARKS.md.")
_NOTE = flags.DEFINE_string("machine", "2-core CPU", "Machine description for the table.")

# Standard weights from each regularizer's paper, used unless --reg_hparams says otherwise.
DEFAULT_HPARAMS = {"gradient_penalty": {"weight": 10.0}, "r1": {"weight": 1.0},
                   "r2": {"weight": 1.0}, "dragan": {"weight": 10.0}}
BENCHMARKS_MD = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "BENCHMARKS.md")
SECTION = "## Toy mixtures: losses x regularizers (issue 3)"
# VEEGAN (Srivastava et al. 2017), Table 1, 2500 samples: (modes, % high quality).
REFERENCE = {
    "ring8": "GAN 1.0 modes (99.3% HQ), ALI 2.8 (0.13%), Unrolled GAN 7.6 (35.6%), VEEGAN 8.0 (52.9%)",
    "grid25": "GAN 3.3 modes (0.5% HQ), ALI 15.8 (1.6%), Unrolled GAN 23.6 (16%), VEEGAN 24.6 (40%)",
}


def regularizer_configs(names, overrides):
  """--regularizers -> {name: config.regularizers ConfigDict}. The registry is imported only when
  a regularizer other than 'none' is asked for, so this runs on checkouts without one."""
  out = {}
  for name in names:
    if name == "none":
      out[name] = ml_collections.ConfigDict()
      continue
    try:
      from ganjax.regularizers import REGULARIZERS
    except ImportError:
      raise ConfigError(f"--regularizers={name}: this checkout has no ganjax.regularizers module, "
                        f"so only 'none' is available.") from None
    REGULARIZERS.get(name)  # unknown names fail listing the valid ones
    hparams = {**DEFAULT_HPARAMS.get(name, {}), **overrides.get(name, {})}
    out[name] = ml_collections.ConfigDict({name: hparams})
  return out


def run_one(dataset, loss, regularizers, seed, steps):
  """Trains one configuration; returns its final toy metrics and wall seconds."""
  from experiments.configs import gan_grid25, gan_ring8
  from ganjax.train.loop import train_and_evaluate

  config = (gan_grid25 if dataset == "grid25" else gan_ring8).get_config()
  config.loss, config.seed = loss, seed
  if steps:
    config.num_train_steps = steps
  if len(regularizers):
    config.regularizers = regularizers
  config.sample_every = config.checkpoint_every = config.num_train_steps
  config.log_every = min(config.log_every, config.num_train_steps)
  with tempfile.TemporaryDirectory(prefix="ganjax_toy_") as workdir:
    start = time.perf_counter()
    train_and_evaluate(config, workdir)
    wall = time.perf_counter() - start
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
      rows = [json.loads(line) for line in f if '"toy/modes"' in line]
  return {k.split("/")[1]: v for k, v in rows[-1].items() if k.startswith("toy/")}, wall


def _mean_std(values, fmt):
  v = np.asarray(values, np.float64)
  if not np.all(np.isfinite(v)):
    return f"inf ({int(np.sum(~np.isfinite(v)))} runs without HQ samples)"
  return f"{fmt.format(v.mean())} ± {fmt.format(v.std())}"


def table(dataset, results, seeds, steps, wall_total):
  k = 8 if dataset == "ring8" else 25
  lines = [f"### {dataset} ({k} modes), {len(seeds)} seeds ({', '.join(seeds)}), {steps} steps",
           "", f"| loss | regularizer | modes (of {k}) | high quality % | reverse KL (nats) | runs 8/8 & >= 80% HQ |"
           if k == 8 else f"| loss | regularizer | modes (of {k}) | high quality % | reverse KL (nats) | runs all modes |",
           "| --- | --- | --- | --- | --- | --- |"]
  for (loss, reg), runs in results.items():
    goal = sum(r["modes"] == k and (k != 8 or r["hq_percent"] >= 80) for r in runs)
    lines.append(f"| `{loss}` | {reg} | {_mean_std([r['modes'] for r in runs], '{:.1f}')} | "
                 f"{_mean_std([r['hq_percent'] for r in runs], '{:.1f}')} | "
                 f"{_mean_std([r['reverse_kl'] for r in runs], '{:.3f}')} | {goal}/{len(runs)} |")
  lines += ["", f"For scale, {REFERENCE[dataset]}. Total wall time {wall_total / 60:.1f} min."]
  return "\n".join(lines)


def write_section(body, command):
  """Replaces (or appends) this benchmark's subsection for the dataset in BENCHMARKS.md."""
  with open(BENCHMARKS_MD) as f:
    text = f.read()
  header = body.splitlines()[0].split(" (")[0]  # "### ring8"
  intro = (f"{SECTION}\n\nMean ± std over seeds of the final toy metrics (2500 EMA samples; "
           f"`ganjax.metrics.toy`: a sample is high quality within 3 std of its nearest mode, a mode "
           f"is covered with >= 1/5 of its expected share of HQ samples, reverse KL of the HQ mode "
           f"histogram against uniform). Models and optimizer: `experiments/configs/gan_ring8.py`.\n")
  if SECTION not in text:
    text = text.rstrip("\n") + "\n\n" + intro
  start = text.index(SECTION)
  end = text.find("\n## ", start + len(SECTION))
  section = text[start:] if end < 0 else text[start:end + 1]
  entry = f"{body}\n\n`{command}`\n"
  sub_start = section.find(header + " ")
  if sub_start >= 0:
    sub_end = section.find("\n### ", sub_start + 1)
    section = section[:sub_start] + entry + ("" if sub_end < 0 else section[sub_end + 1:])
  else:
    section = section.rstrip("\n") + "\n\n" + entry
  with open(BENCHMARKS_MD, "w") as f:
    f.write(text[:start] + section.rstrip("\n") + "\n" + ("" if end < 0 else text[end:]))


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  dataset = "grid25" if _GRID.value else "ring8"
  losses = LOSSES.names() if _LOSSES.value == ["all"] else _LOSSES.value
  try:
    for loss in losses:
      LOSSES.get(loss)
    regs = regularizer_configs(_REGS.value, json.loads(_REG_HPARAMS.value))
  except ConfigError as e:
    sys.exit(f"ganjax: {e}")
  seeds = _SEEDS.value
  results, start = {}, time.perf_counter()
  for loss in losses:
    for reg_name, reg_cfg in regs.items():
      runs = []
      for seed in seeds:
        metrics, wall = run_one(dataset, loss, reg_cfg, int(seed), _STEPS.value)
        runs.append(metrics)
        print(f"{loss:>22} {reg_name:>18} seed {seed}: modes {metrics['modes']:.0f} "
              f"hq {metrics['hq_percent']:.1f}% reverse_kl {metrics['reverse_kl']:.3f} ({wall:.0f} s)",
              flush=True)
      results[(loss, reg_name)] = runs
  from experiments.configs import gan_ring8
  steps = _STEPS.value or gan_ring8.get_config().num_train_steps
  body = table(dataset, results, seeds, steps, time.perf_counter() - start)
  print(body)
  if _WRITE.value:
    command = "python benchmarks/toy_mixtures.py " + " ".join(sys.argv[1:])
    write_section(body + f"\n\n{_NOTE.value}, jax {jax.__version__} ({jax.default_backend()}), "
                  f"{time.strftime('%Y-%m-%d', time.gmtime())}.", command)


if __name__ == "__main__":
  app.run(main)
