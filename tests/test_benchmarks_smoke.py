"""Every benchmarks/ script runs at a tiny size and prints its table, so none rots between the
sessions that use it. One entry per script (a new script without one fails
test_every_benchmark_script_has_a_smoke_run); each passes the smallest flags that still walk the
script's whole path, writes only under tmp_path (no --grids into docs/images, no BENCHMARKS.md
edit) and is checked for the line its table or JSON ends in. Compile-only: -O0 (conftest).
What the numbers say is not checked here; the scripts' own tests (test_benchmarks.py for
compare_peer.py, test_stylegan2_peer.py for the StyleGAN2 peer) check that. The PyTorch peers
and compare_peer.py need torch, the benchmarks extra `make install` installs: never skipped.
"""

import glob
import os
import re

import pytest

from conftest import COMPILE_ONLY_XLA_FLAGS, ROOT, run_script

NUMBER = r"-?[\d.]+"

# script (relative to benchmarks/) -> (flags given tmp_path, a regex one stdout line must match)
SMOKE = {
    "ab_step.py": (lambda t: ["--variant=a:seed=0", "--variant=b:seed=0", "--batch=8", "--steps=1",
                              "--windows=1"],
                   rf"^b: {NUMBER} steps/s \({NUMBER}x the first"),
    "augment_ablation.py": (lambda t: [
        "--config=dcgan_fashion_mnist", "--set=augment.policy='translation'", "--arms=none,ada",
        "--ablation_seeds=0", "--ablation_steps=2", "--eval_every=2", "--eval_num_samples=32",
        "--ada_kimg=0.01", "--num_samples=32", f"--workdir_root={t}", "--grids="],
        rf"^\| ada \| 0 \| 2 \| {NUMBER} \| {NUMBER} \| {NUMBER} \| {NUMBER} \|"),  # FID, KID, periodic, p
    "bigan_probe.py": (lambda t: ["--steps=2", "--batch_size=8", "--probe_train=64",
                                  "--probe_test=32", f"--workdir_root={t}"],
                       rf"^\| 0 \| 2 \| {NUMBER} \|"),
    "compare_peer.py": (lambda t: ["--batch_sizes=8", "--rounds=1", "--windows=1", "--steps=4"],
                        r"^\| 8 \| cpu \| [\d.]+ \|"),
    "conv_ops.py": (lambda t: ["--batch=8", "--rounds=1", "--reps=1"],
                    rf"^per-step convolution time: ganjax {NUMBER} ms, PyTorch {NUMBER} ms"),
    "families.py": (lambda t: ["--configs=dcgan_fashion_mnist", "--steps=2", "--num_samples=32",
                               f"--workdir_root={t}", "--grids="],
                    rf"^\| dcgan_fashion_mnist \| dcgan \| 0 \| 2 \| {NUMBER} \| {NUMBER} \|"),
    "gan3d.py": (lambda t: ["--steps=2", "--num_samples=8", "--reference=16",
                            "--set=model.g_features=8", "--set=model.d_features=4",
                            "--set=model.latent_dim=8", "--set=batch_size=4", f"--workdir_root={t}"],
                 rf"^\| gan3d \| 0 \| 2 \| \d+ \| {NUMBER} \| {NUMBER} \| {NUMBER} \|"),
    "inception_speed.py": (lambda t: ["--batch_size=2", "--batches=1", "--image_size=8"],
                           rf"timed {NUMBER} s: {NUMBER} images/s"),
    "kmeans_baseline.py": (lambda t: ["--dataset=digits", "--limit=100", "--seeds=0"],
                           r'"accuracy_mean": [\d.]+'),
    "metrics_memory.py": (lambda t: ["--num_samples=32", "--metrics=fid,kid"],
                          r'"peak_rss_mib": \d+.*"kid_mean"'),
    "profile_step.py": (lambda t: ["--batch=8", "--steps=1", "--top=3", f"--trace_dir={t}"],
                        rf"^\s+{NUMBER}\s+\S+"),
    "same_numbers.py": (lambda t: ["--configs=dcgan_fashion_mnist", "--steps=1"],
                        r'^\{"dcgan_fashion_mnist": "[0-9a-f]{16}"\}$'),
    "scaling.py": (lambda t: ["--batch_size=8", "--device_counts=2", "--steps=1"],
                   rf"^\s*pmap\s+2\s+{NUMBER}\s+{NUMBER}"),
    "toy_mixtures.py": (lambda t: ["--losses=non_saturating", "--seeds=0", "--steps=2",
                                   "--write=False"],
                        r"^\| `non_saturating` \| none \|"),
    "train_speed.py": (lambda t: ["--batch_sizes=8", "--steps=1", "--repeats=1"],
                       rf"^\s+8\s+{NUMBER}\s+{NUMBER}\s+\d+$"),
    "translation.py": (lambda t: [
        "--steps=2", f"--workdir_root={t}", "--grids=",
        '--set={"model.g_features": [8, 8, 16, 16, 16], "model.d_features": [8, 16, 16], '
        '"batch_size": 4}'],
        rf"^\| pix2pix_edges2fashion \| 0 \| 2 \| {NUMBER} \|"),
    "truncation_sweep.py": (lambda t: [f"--workdir={t / 'stylegan2'}", "--psis=1.0,0.5",
                                       "--metrics=fid,kid", "--num_samples=16"],
                            rf"^\| 0\.50 \| {NUMBER} \| {NUMBER} \|"),
    "peers/torch_dcgan.py": (lambda t: ["--batch_size=2", "--steps=1", "--windows=1"],
                             r'"steps_per_s": [\d.]+'),
    "peers/torch_sngan.py": (lambda t: ["--batch_size=2", "--steps=1", "--windows=1"],
                             r'"steps_per_s": [\d.]+'),
    "peers/torch_stylegan2.py": (lambda t: ["--batch_size=2", "--steps=1", "--windows=1"],
                                 r'"steps_per_s": [\d.]+'),
}
# Scripts that train for more than a few seconds even at this size.
SLOW = {"augment_ablation.py", "bigan_probe.py", "compare_peer.py", "families.py", "gan3d.py",
        "translation.py", "truncation_sweep.py"}

# truncation_sweep.py scores a trained run with a truncatable sampler: one StyleGAN2 step at
# test size on fashion_mnist32 (a dataset with a feature network).
_TINY_STYLEGAN2 = """
import sys
from experiments.configs import stylegan2_fashion_mnist32
from ganjax.train.loop import train_and_evaluate
c = stylegan2_fashion_mnist32.get_config()
c.model.update(dict(latent_dim=16, w_dim=16, channel_base=256, channel_max=16))
c.batch_size, c.num_train_steps, c.log_every, c.sample_every, c.checkpoint_every = 8, 1, 1, 0, 1
train_and_evaluate(c, sys.argv[1])
"""

ENV = {"XLA_FLAGS": f"--xla_force_host_platform_device_count=2 {COMPILE_ONLY_XLA_FLAGS}"}


def test_every_benchmark_script_has_a_smoke_run():
  scripts = {os.path.relpath(p, os.path.join(ROOT, "benchmarks"))
             for p in glob.glob(os.path.join(ROOT, "benchmarks", "**", "*.py"), recursive=True)}
  def is_script(rel):  # benchmarks/flops.py is a module the scripts import
    with open(os.path.join(ROOT, "benchmarks", rel)) as f:
      return 'if __name__ == "__main__":' in f.read()
  scripts = {s for s in scripts if is_script(s)}
  assert scripts == set(SMOKE), (f"without a smoke run: {sorted(scripts - set(SMOKE))}; "
                                 f"gone: {sorted(set(SMOKE) - scripts)}")


@pytest.mark.parametrize("script", [
    pytest.param(s, marks=[pytest.mark.slow] if s in SLOW else []) for s in sorted(SMOKE)])
def test_benchmark_script_runs_at_a_tiny_size(script, tmp_path):
  flags, expected = SMOKE[script]
  if script == "truncation_sweep.py":
    r = run_script(["-c", _TINY_STYLEGAN2, str(tmp_path / "stylegan2")], env=ENV)
    assert r.returncode == 0, r.stderr[-3000:]
  r = run_script([os.path.join("benchmarks", script), *flags(tmp_path)], env=ENV)
  assert r.returncode == 0, f"{script}: {r.stderr[-3000:]}"
  assert any(re.search(expected, line) for line in r.stdout.splitlines()), \
      f"{script}: no line matches {expected!r} in:\n{r.stdout[-3000:]}"
