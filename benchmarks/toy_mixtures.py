r"""Losses x regularizers on the 2-D Gaussian mixtures, over seeds: modes covered, high-quality
samples and reverse KL (ganjax.metrics.toy), as a mean +- std table written into BENCHMARKS.md.

  python benchmarks/toy_mixtures.py --losses=all --regularizers=none --seeds=0,1,2 --steps=3000
  python benchmarks/toy_mixtures.py --grid25 ...            # the 5x5 grid instead of the ring
  python benchmarks/toy_mixtures.py --regularizers=none,gradient_penalty,r1 --reg_hparams='{"r1": {"weight": 0.1}}'

Every run trains experiments/configs/gan_ring8.py (or gan_grid25.py) with the loss, the
regularizer (`config.regularizers = {name: hyperparameters}`) and the seed swapped in, with the
training loop's compiled step on the prepared dataset, and scores 2500 EMA samples at the last
step. --write=False only prints.
"""

import functools
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags, logging  # noqa: E402

from ganjax.errors import ConfigError  # noqa: E402
from ganjax.objectives.losses import LOSSES  # noqa: E402

_LOSSES = flags.DEFINE_list("losses", ["all"], "ganjax.objectives.losses.LOSSES names, or 'all'.")
_REGS = flags.DEFINE_list("regularizers", ["none"],
                          "'none' and/or ganjax.objectives.regularizers.REGULARIZERS names.")
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
      from ganjax.objectives.regularizers import REGULARIZERS
    except ImportError:
      raise ConfigError(f"--regularizers={name}: this checkout has no ganjax.objectives.regularizers module, "
                        f"so only 'none' is available.") from None
    REGULARIZERS.get(name)  # unknown names fail listing the valid ones
    hparams = {**DEFAULT_HPARAMS.get(name, {}), **overrides.get(name, {})}
    out[name] = ml_collections.ConfigDict({name: hparams})
  return out


@functools.lru_cache(maxsize=None)
def _train_points(dataset):
  """The prepared train split's points [N, 2] float32, decoded once per benchmark."""
  from ganjax.data.sources import data_source
  cfg = ml_collections.ConfigDict(dict(name=dataset, source_dir=None, data_dir=None))
  return data_source(cfg, "train").arrays["point"]


def run_one(dataset, loss, regularizers, seed, steps):
  """Trains one configuration; returns its final toy metrics and wall seconds.

  The compiled step is the training loop's (`exp.train_step`), fed with batches of the prepared
  tfds split, reshuffled every epoch; the grain pipeline of `train_and_evaluate` is left out
  because its per-example map costs more than this 2-D MLP's whole step (measured ~6 steps/s
  through the loop vs ~45 steps/s here on the shared 2-core machine).
  """
  from experiments.configs import gan_grid25, gan_ring8
  from ganjax.data.mixtures import MIXTURES
  from ganjax.metrics.toy import NUM_SAMPLES, toy_metrics
  from ganjax.core.keys import fixed_noise_key
  from ganjax.train.experiment import build_experiment

  config = (gan_grid25 if dataset == "grid25" else gan_ring8).get_config()
  config.loss, config.seed = loss, seed
  if steps:
    config.num_train_steps = steps
  config.regularizers = regularizers  # 'none' really is none, whatever the config sets
  start = time.perf_counter()
  exp = build_experiment(config)
  points = _train_points(dataset)
  rng, b = np.random.default_rng(seed), config.batch_size
  state, order = exp.init_state(), np.zeros(0, np.int64)
  for _ in range(config.num_train_steps):
    if len(order) < b:
      order = np.concatenate([order, rng.permutation(len(points))])
    batch, order = points[order[:b]], order[b:]
    state, _ = exp.train_step(state, jax.device_put({exp.spec.data_field: batch},
                                                    exp.batch_sharding))
  samples = np.asarray(exp.sample(state, fixed_noise_key(config), NUM_SAMPLES))
  mixture = MIXTURES.get(dataset)
  return toy_metrics(samples, mixture.centers, mixture.std), time.perf_counter() - start


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
  from experiments.configs import gan_grid25, gan_ring8
  from ganjax.train.timing import apply_timing_process_settings
  # Host memory as in training, before the first run starts JAX's backend.
  apply_timing_process_settings((gan_grid25 if _GRID.value else gan_ring8).get_config())
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
  steps = _STEPS.value or gan_ring8.get_config().num_train_steps
  body = table(dataset, results, seeds, steps, time.perf_counter() - start)
  print(body)
  if _WRITE.value:
    command = "python benchmarks/toy_mixtures.py " + " ".join(sys.argv[1:])
    write_section(body + f"\n\n{_NOTE.value}, jax {jax.__version__} ({jax.default_backend()}), "
                  f"{time.strftime('%Y-%m-%d', time.gmtime())}.", command)


if __name__ == "__main__":
  app.run(main)
