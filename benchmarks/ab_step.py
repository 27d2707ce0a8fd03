r"""A/B of config variants of the compiled train step, in one process, windows interleaved.

  python benchmarks/ab_step.py --batch=256 --steps=4 --windows=4 \
      --variant=flax:runtime.layers=flax --variant=cpu:runtime.layers=cpu

Each --variant is NAME:key=value[,key=value...] over experiments/configs/dcgan_fashion_mnist.py
(values parsed as JSON when they parse; separate with ';' when a value holds commas). Keys that
start with `xla_` and are not config keys are XLA debug options for that variant's compile alone,
e.g. `--variant=no_ynn:xla_cpu_experimental_ynn_fusion_type=`. All variants are compiled first,
then each timed window of `steps` steps runs every variant in turn on its own device-resident
random batch, so a machine whose speed drifts (a shared VM) moves all variants alike. Prints each
variant's median steps/s, its windows, and the ratio to the first variant.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _xla_value(text: str):
  """An XLA debug option's value from the command line: bool, int, or the string (enum names)."""
  if text.lower() in ("true", "false"):
    return text.lower() == "true"
  try:
    return int(text)
  except ValueError:
    return text


def main() -> None:
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--variant", action="append", required=True, help="NAME:key=value,...")
  p.add_argument("--batch", type=int, default=32)
  p.add_argument("--steps", type=int, default=20, help="steps per window")
  p.add_argument("--windows", type=int, default=4)
  args = p.parse_args()
  sys.path.insert(0, ROOT)
  import jax
  from experiments.configs import dcgan_fashion_mnist
  from ganjax.train.experiment import build_experiment
  from ganjax.train.timing import apply_overrides, apply_timing_process_settings, random_batch
  # One process for every variant: the default config's host memory (as in training), set
  # before the first variant starts JAX's backend.
  apply_timing_process_settings(dcgan_fashion_mnist.get_config())

  runs = {}
  for spec in args.variant:
    name, _, overrides = spec.partition(":")
    overrides = [o for o in overrides.split(";" if ";" in overrides else ",") if o]
    # Keys that are not in the config and start with "xla_" are XLA debug options for this
    # variant's compile alone (e.g. to compare XLA:CPU kernel libraries in one process).
    base = dcgan_fashion_mnist.get_config()
    is_xla = lambda o: o.startswith("xla_") and o.split("=", 1)[0] not in base
    xla_options = {k: _xla_value(v) for k, v in (o.split("=", 1) for o in overrides if is_xla(o))}
    config = apply_overrides(base, [o for o in overrides if not is_xla(o)])
    config.batch_size = args.batch
    exp = build_experiment(config)
    state = exp.init_state()
    batch = random_batch(exp, args.batch)
    step = exp.train_step.lower(state, batch).compile(xla_options or None)
    state, metrics = step(state, batch)
    jax.block_until_ready(metrics)
    runs[name] = {"step": step, "state": state, "batch": batch, "rates": []}
  for _ in range(args.windows):
    for run in runs.values():
      t0 = time.perf_counter()
      for _ in range(args.steps):
        run["state"], metrics = run["step"](run["state"], run["batch"])
      jax.block_until_ready(metrics)
      run["rates"].append(args.steps / (time.perf_counter() - t0))
  first = np.median(next(iter(runs.values()))["rates"])
  for name, run in runs.items():
    med = np.median(run["rates"])
    print(f"{name}: {med:.3f} steps/s ({med / first:.2f}x the first; windows "
          f"{', '.join(f'{r:.3f}' for r in run['rates'])})")


if __name__ == "__main__":
  main()
