r"""Where the compiled train step spends its time: XLA ops ranked by time per step.

  python benchmarks/profile_step.py --batch=256 --steps=3 [--set=runtime.layers=flax ...]
  python benchmarks/profile_step.py --config=stylegan2_emoji32 --batch=32 --steps=16

Compiles the step of --config (a module of experiments/configs, default the seed DCGAN's
dcgan_fashion_mnist, plus `--set` overrides), runs two warm-up steps, records `steps` steps with
`jax.profiler` (a perfetto trace under --trace_dir) and prints, per XLA op (a thunk: a fusion, a
library call such as YNNPACK's, a convolution), its milliseconds per step, with the op's result
shape and the root instruction of the fused computation, so "ynn_fusion.29" reads as the
convolution it is. Thunks may run concurrently on the CPU's cores, so the column can sum to more
than the step's wall time. Lazy phases (`every` > 1) run on their steps only: profile a multiple
of their period (StyleGAN2: 16 steps) for their share.
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import re
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _roots(hlo: str) -> tuple[dict, dict]:
  """({instruction name: (shape, line)}, {computation name: its ROOT line}) of optimized HLO."""
  defs, roots, comp = {}, {}, None
  for line in hlo.splitlines():
    m = re.match(r"\s*(?:ROOT )?%(\S+) = (\S+) \w+\(", line)
    if m:
      defs[m.group(1)] = (m.group(2), line)
    head = re.match(r"^%?(\S+) \(.*\) -> .* \{$", line)
    if head:
      comp = head.group(1)
    elif comp and line.strip().startswith("ROOT"):
      roots[comp] = re.sub(r",? metadata=\{.*", "", line.strip())
  return defs, roots


def main() -> None:
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--config", default="dcgan_fashion_mnist", help="experiments/configs module")
  p.add_argument("--batch", type=int, default=256)
  p.add_argument("--steps", type=int, default=3)
  p.add_argument("--top", type=int, default=25)
  p.add_argument("--set", action="append", default=[], help="config override key=value")
  p.add_argument("--trace_dir", default="/tmp/ganjax_profile")
  args = p.parse_args()
  sys.path.insert(0, ROOT)
  import jax
  from experiments import configs
  from ganjax.train.experiment import build_experiment
  from ganjax.train.timing import apply_overrides, apply_timing_process_settings, random_batch

  config = apply_overrides(configs.named(args.config), args.set)
  apply_timing_process_settings(config)  # host memory as in training; before the backend starts
  config.batch_size = args.batch
  exp = build_experiment(config)
  state = exp.init_state()
  batch = random_batch(exp, args.batch)
  step = exp.train_step.lower(state, batch).compile()
  defs, roots = _roots(step.as_text())
  for _ in range(2):
    state, metrics = step(state, batch)
  jax.block_until_ready(metrics)
  with jax.profiler.trace(args.trace_dir, create_perfetto_trace=True):
    for _ in range(args.steps):
      state, metrics = step(state, batch)
    jax.block_until_ready(metrics)

  trace = sorted(glob.glob(os.path.join(args.trace_dir, "**", "*.trace.json.gz"), recursive=True),
                 key=os.path.getmtime)[-1]
  events = json.load(gzip.open(trace))
  events = events["traceEvents"] if isinstance(events, dict) else events
  total = collections.Counter()
  for e in events:
    if e.get("ph") == "X" and e.get("name") in defs:
      total[e["name"]] += e.get("dur", 0)
  print(f"batch {args.batch}, {args.steps} profiled steps; ms per step of each XLA op:")
  for name, us in total.most_common(args.top):
    shape, line = defs[name]
    called = re.search(r"calls=%([\w.\-]+)", line)
    what = roots.get(called.group(1), "") if called else re.sub(r",? metadata=\{.*", "", line.strip())
    print(f"{us / 1000 / args.steps:8.1f}  {name:30s} {shape[:34]:34s} {what[:150]}")


if __name__ == "__main__":
  main()
