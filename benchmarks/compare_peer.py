r"""ganjax vs an idiomatic PyTorch peer (benchmarks/peers/), side by side.

  python benchmarks/compare_peer.py --batch_sizes=32,256 --rounds=3 --windows=3 --steps=20
  python benchmarks/compare_peer.py --model=sngan --batch_sizes=32,64      # SNGAN ResNet, emoji32
  python benchmarks/compare_peer.py --model=stylegan2 --batch_sizes=32,64  # StyleGAN2-32, emoji32

--model picks the architecture: its ganjax config and its peer (MODELS; default the seed DCGAN).

For each batch size, `rounds` times: one ganjax process and one PyTorch process, alternating which
goes first, each timing `windows` windows of `steps` steps (scaled by 32 / batch, at least 4) of
the model on a device-resident random batch shaped like its dataset, after a warm-up that
compiles (excluded). Separate processes keep the peak RSS figures apart and stop one framework's
thread pools from disturbing the other. Reported: the median over every timed window of every
round, images/s, the ratio ganjax / PyTorch, peak RSS (max over rounds), and the start-up (ganjax:
first call incl. compile; PyTorch: 3 warm-up steps). Prints a markdown table. With --cache an
untimed ganjax process first fills the persistent compilation cache, so every timed round starts
from it (steady-state start-up and peak RSS); that process's start-up and peak RSS are printed
below the table.

  --set=runtime.steps_per_dispatch=4 --set=dtype=float32
                                                  ganjax config overrides (repeatable)
  --cpu_devices=2                                 ganjax on N XLA:CPU devices (jax_num_cpu_devices)
  --peer_args="--channels_last --compile"          extra flags for the peer
  --gpu                                           both on the GPU (JAX's GPU backend, torch "cuda")
  --bf16                                          both in bfloat16 mixed precision (ganjax
                                                  config.dtype, torch autocast)

Below the table: the step's model FLOPs (benchmarks/flops.py, counted on the reference layers: real
multiply-adds of every convolution and matmul, the same model for both frameworks), each
framework's achieved TFLOP/s and, where the peak is known (listed GPUs, or --peak_tflops), its
model-FLOP utilisation; on a GPU also each one's peak device memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# --model -> (ganjax config module under experiments/configs, its PyTorch peer in benchmarks/peers)
MODELS = {"dcgan": ("dcgan_fashion_mnist", "torch_dcgan.py"),
          "sngan": ("sngan_emoji32", "torch_sngan.py"),
          "stylegan2": ("stylegan2_emoji32", "torch_stylegan2.py")}


def peer_path(model: str) -> str:
  return os.path.join(ROOT, "benchmarks", "peers", MODELS[model][1])


def ganjax_worker(args) -> dict:
  """Times ganjax in this process (run as a subprocess by `main`)."""
  sys.path.insert(0, ROOT)
  import jax
  if args.cpu_devices:
    jax.config.update("jax_num_cpu_devices", args.cpu_devices)
  from experiments import configs
  from ganjax.train.timing import apply_overrides, apply_timing_process_settings, time_config
  config = apply_overrides(configs.named(MODELS[args.model][0]), args.set)
  # Host memory as in training; the compilation cache (config.runtime.compilation_cache_dir) with
  # --cache only. Before anything below starts JAX's backend.
  apply_timing_process_settings(config, cache=args.cache)
  if args.gpu and jax.default_backend() != "gpu":
    sys.exit(f"--gpu: JAX sees no GPU (its backend is {jax.default_backend()!r}); install a CUDA "
             "build of jaxlib (pip install 'jax[cuda13]') or drop --gpu.")
  if args.bf16:
    config.dtype = "bfloat16"
  r = time_config(config, args.batch, args.steps, args.windows)
  device = jax.devices()[0]
  out = {"framework": "ganjax", "batch": args.batch, "warmup_s": r["compile_s"],
         "rates": r["rates"], "steps_per_s": r["steps_per_s"], "devices": jax.device_count(),
         "device_kind": device.device_kind,
         # read before model_flops, whose second (traced) experiment would add to it
         "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
  out["model_flops"] = model_flops(config, args.batch)
  stats = device.memory_stats() or {}
  if "peak_bytes_in_use" in stats:
    out["peak_device_mib"] = stats["peak_bytes_in_use"] / 2 ** 20
  return out


def model_flops(config, batch_size: int) -> int:
  """Model FLOPs of one train step at `batch_size`, counted on the reference layers (flax's own,
  runtime.layers = "flax": XLA's convolutions and gradients, implementation-independent);
  traced, not run."""
  from benchmarks.flops import count_flops
  from ganjax.train.experiment import build_experiment
  from ganjax.train.timing import random_batch
  config = config.copy_and_resolve_references()
  config.batch_size = batch_size
  config.runtime.layers = "flax"
  exp = build_experiment(config)
  return count_flops(exp.train_step, exp.init_state(), random_batch(exp, batch_size))


def _run(cmd: list[str]) -> dict:
  env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
  proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
  if proc.returncode != 0:
    sys.exit(f"benchmark process failed: {shlex.join(cmd)}\n{proc.stderr[-3000:]}")
  return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--model", choices=sorted(MODELS), default="dcgan",
                 help="architecture: its ganjax config and PyTorch peer (MODELS)")
  p.add_argument("--batch_sizes", default="32,256")
  p.add_argument("--rounds", type=int, default=3)
  p.add_argument("--windows", type=int, default=3)
  p.add_argument("--steps", type=int, default=20, help="steps per window at batch 32")
  p.add_argument("--set", action="append", default=[], help="ganjax config override key=value")
  p.add_argument("--cpu_devices", type=int, default=0, help="ganjax: XLA:CPU device count (0: JAX's)")
  p.add_argument("--cache", action="store_true", help="ganjax: use the persistent compilation cache")
  p.add_argument("--peer_args", default="", help="extra flags for the peer script")
  p.add_argument("--gpu", action="store_true", help="both frameworks on the GPU")
  p.add_argument("--bf16", action="store_true", help="both in bfloat16 mixed precision")
  p.add_argument("--peak_tflops", type=float, default=0.0,
                 help="device peak for MFU (0: benchmarks.flops' table for the device, if listed)")
  p.add_argument("--worker", choices=["ganjax"], help=argparse.SUPPRESS)
  p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
  args = p.parse_args()
  if args.worker:
    print(json.dumps(ganjax_worker(args)))
    return

  rows, fills = [], []
  for b in map(int, args.batch_sizes.split(",")):
    steps = max(4, args.steps * 32 // b)
    common = [f"--batch={b}", f"--steps={steps}", f"--windows={args.windows}"]
    ganjax_cmd = [sys.executable, __file__, "--worker=ganjax", f"--model={args.model}", *common,
                  f"--cpu_devices={args.cpu_devices}", *(["--cache"] if args.cache else []),
                  *(["--bf16"] if args.bf16 else []), *(["--gpu"] if args.gpu else []),
                  *[f"--set={s}" for s in args.set]]
    peer_cmd = [sys.executable, peer_path(args.model), f"--batch_size={b}", f"--steps={steps}",
                f"--windows={args.windows}", *(["--device=cuda"] if args.gpu else []),
                *(["--bf16"] if args.bf16 else []), *shlex.split(args.peer_args)]
    runs = {"ganjax": [], "torch": []}
    if args.cache:  # fill the cache untimed, so every round's RSS and start-up are steady-state
      first = _run([*ganjax_cmd, "--steps=1", "--windows=1"])
      fills.append((b, first))
      print(f"batch {b} cache fill: start-up {first['warmup_s']:.1f} s, peak RSS "
            f"{first['peak_rss_mib']:.0f} MiB", file=sys.stderr, flush=True)
    for r in range(args.rounds):
      order = [("ganjax", ganjax_cmd), ("torch", peer_cmd)]
      for name, cmd in order if r % 2 == 0 else order[::-1]:
        out = _run(cmd)
        runs[name].append(out)
        print(f"batch {b} round {r} {out['framework']}: {np.median(out['rates']):.3f} steps/s "
              f"(windows {', '.join(f'{x:.3f}' for x in out['rates'])}), "
              f"peak RSS {out['peak_rss_mib']:.0f} MiB", file=sys.stderr, flush=True)
    summary = {name: {"sps": float(np.median([x for o in outs for x in o["rates"]])),
                      "round_sps": [float(np.median(o["rates"])) for o in outs],
                      "rss": max(o["peak_rss_mib"] for o in outs),
                      "warmup": float(np.median([o["warmup_s"] for o in outs])),
                      "device_mib": max(o.get("peak_device_mib", 0.0) for o in outs)}
               for name, outs in runs.items()}
    summary["flops"] = runs["ganjax"][0]["model_flops"]
    summary["device_kind"] = runs["ganjax"][0]["device_kind"]
    rows.append((b, summary))

  print("| batch | ganjax steps/s | PyTorch steps/s | ratio | ganjax images/s | PyTorch images/s "
        "| ganjax peak RSS (MiB) | PyTorch peak RSS (MiB) | ganjax start-up (s) | PyTorch warm-up (s) |")
  print("| --- " * 10 + "|")
  for b, s in rows:
    g, t = s["ganjax"], s["torch"]
    print(f"| {b} | {g['sps']:.2f} | {t['sps']:.2f} | **{g['sps'] / t['sps']:.2f}x** "
          f"| {g['sps'] * b:.0f} | {t['sps'] * b:.0f} | {g['rss']:.0f} | {t['rss']:.0f} "
          f"| {g['warmup']:.1f} | {t['warmup']:.1f} |")
  print()
  for b, first in fills:
    print(f"batch {b}: the untimed first ganjax process (fills the compilation cache): start-up "
          f"{first['warmup_s']:.1f} s, peak RSS {first['peak_rss_mib']:.0f} MiB")
  for b, s in rows:
    print(f"batch {b} per-round medians: ganjax {[round(x, 2) for x in s['ganjax']['round_sps']]}, "
          f"PyTorch {[round(x, 2) for x in s['torch']['round_sps']]}")
  print()
  print(flops_table(rows, args))


def flops_table(rows, args) -> str:
  """Model FLOPs per step, achieved TFLOP/s and MFU of both frameworks (markdown)."""
  from benchmarks.flops import peak_flops
  precision = "bfloat16" if args.bf16 else ("tfloat32" if args.gpu else "float32")
  lines = ["| batch | device | model GFLOP / step | ganjax TFLOP/s | PyTorch TFLOP/s | peak TFLOP/s "
           f"({precision}) | ganjax MFU | PyTorch MFU | ganjax peak device MiB | PyTorch peak "
           "device MiB |", "| --- " * 10 + "|"]
  for b, s in rows:
    peak = args.peak_tflops * 1e12 or peak_flops(s["device_kind"], precision)
    tf = {k: s["flops"] * s[k]["sps"] / 1e12 for k in ("ganjax", "torch")}
    mfu = {k: f"{tf[k] * 1e12 / peak:.1%}" if peak else "n/a (no peak)" for k in tf}
    mem = {k: f"{s[k]['device_mib']:.0f}" if s[k]["device_mib"] else "n/a" for k in tf}
    lines.append(f"| {b} | {s['device_kind']} | {s['flops'] / 1e9:.2f} | {tf['ganjax']:.3f} "
                 f"| {tf['torch']:.3f} | {peak / 1e12 if peak else 'n/a'} | {mfu['ganjax']} "
                 f"| {mfu['torch']} | {mem['ganjax']} | {mem['torch']} |")
  return "\n".join(lines)


if __name__ == "__main__":
  main()
