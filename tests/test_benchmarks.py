"""benchmarks/compare_peer.py end to end: ganjax and the PyTorch peer side by side, tiny."""

import re

import pytest

from conftest import run_script
from test_flops import dcgan_step_flops_by_hand


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_compare_peer_reports_both_frameworks_ratio_and_model_flops(precision):
  pytest.importorskip("torch")
  b = 8
  args = ["benchmarks/compare_peer.py", f"--batch_sizes={b}", "--rounds=1", "--windows=1",
          "--steps=4"] + (["--bf16"] if precision == "bfloat16" else [])
  r = run_script(args)
  assert r.returncode == 0, r.stderr[-3000:]
  row = next(line for line in r.stdout.splitlines() if line.startswith(f"| {b} | ") and "x**" in line)
  cells = [c.strip() for c in row.strip("|").split("|")]
  ganjax_sps, torch_sps, ratio = float(cells[1]), float(cells[2]), float(cells[3].strip("*x"))
  assert ganjax_sps > 0 and torch_sps > 0
  # Every cell is rounded to 2 decimals: the ratio of the printed rates may differ from the printed
  # ratio by their rounding (large when PyTorch runs ~1 step/s, as its bfloat16 does on some CPUs).
  rounding = 0.005 + ratio * (0.005 / ganjax_sps + 0.005 / torch_sps)
  assert ratio == pytest.approx(ganjax_sps / torch_sps, abs=rounding)
  assert f"torch{'+bf16' if precision == 'bfloat16' else ''}:" in r.stderr
  flops_row = next(line for line in r.stdout.splitlines() if re.match(rf"\| {b} \| cpu \|", line))
  gflop = float(flops_row.split("|")[3])
  # Model FLOPs are the same model's whatever the precision: the layers counted by hand.
  assert gflop == pytest.approx(dcgan_step_flops_by_hand(b) / 1e9, rel=5e-3)
  assert "n/a (no peak)" in flops_row, "a CPU has no listed peak: MFU needs --peak_tflops"


def test_gpu_flag_without_a_gpu_names_the_problem_and_the_fix():
  pytest.importorskip("torch")
  import jax
  import torch
  if jax.default_backend() == "gpu" or torch.cuda.is_available():
    pytest.skip("this machine has a GPU")
  r = run_script(["benchmarks/compare_peer.py", "--gpu", "--batch_sizes=8", "--rounds=1",
                  "--windows=1", "--steps=4"])
  assert r.returncode != 0
  assert "--gpu: JAX sees no GPU" in r.stderr and "drop --gpu" in r.stderr
  r = run_script(["benchmarks/peers/torch_dcgan.py", "--device=cuda", "--steps=1", "--windows=1"])
  assert r.returncode != 0
  assert "torch sees no CUDA device" in r.stderr and "--device=cpu" in r.stderr
