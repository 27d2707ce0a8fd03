"""Paths a user runs that no other test walks: a normal train.py run's stderr and TensorBoard
events, sample.py's --noema / --seed / --step, train.py --distributed on two processes, evaluate.py
on a translation run, KID as it is shown, and --num_samples beyond a samples file."""

import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

from conftest import (COMPILE_ONLY_XLA_FLAGS, ROOT, run_script, tensorboard_scalars, xla_flags)
from ganjax.errors import ConfigError

TRAIN = ["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
         "--config.batch_size=8", "--config.log_every=1", "--config.checkpoint_every=2",
         "--config.sample_every=2"]

# Lines libraries print on a normal run that say nothing a user can act on (ganjax/reporting.py,
# quiet_library_logs): jax probing for a TPU, tensorflow_datasets narrating its metadata, orbax's
# missing-item-metadata and read-only-manager warnings.
NOISE = ("libtpu", "Unable to initialize backend", "Load dataset info", "dataset_info.py",
         "Metadata file does not exist", "read_only=True", "is read only", "Warning:", "Traceback")
_ABSL_LINE = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ ([\w.]+):\d+\] ")
_PROJECT_FILES = {os.path.basename(p) for d in ("ganjax", "experiments")
                  for p in glob.glob(os.path.join(ROOT, d, "**", "*.py"), recursive=True)}


def assert_only_what_a_user_reads(stderr: str) -> None:
  """No known library noise, and every absl log line comes from a ganjax or experiments file."""
  for line in stderr.splitlines():
    assert not any(n in line for n in NOISE), line
    m = _ABSL_LINE.match(line)
    assert m is None or m.group(1) in _PROJECT_FILES, line


@pytest.mark.slow
def test_a_normal_run_prints_only_what_a_user_reads_and_tensorboard_holds_every_logged_scalar(
    tmp_path):
  workdir = str(tmp_path / "run")
  fresh = run_script([*TRAIN, f"--workdir={workdir}", "--config.num_train_steps=4"],
                     env={"XLA_FLAGS": COMPILE_ONLY_XLA_FLAGS})
  assert fresh.returncode == 0, fresh.stderr[-3000:]
  resumed = run_script([*TRAIN, f"--workdir={workdir}", "--config.num_train_steps=6"],
                       env={"XLA_FLAGS": COMPILE_ONLY_XLA_FLAGS})
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  for r in (fresh, resumed):
    assert_only_what_a_user_reads(r.stderr)
  assert "Resumed from step 4" in resumed.stderr  # ganjax's own lines stay
  sampled = run_script(["experiments/sample.py", f"--workdir={workdir}", "--num=4",
                        f"--out={tmp_path / 's.npy'}"], env={"XLA_FLAGS": COMPILE_ONLY_XLA_FLAGS})
  assert sampled.returncode == 0, sampled.stderr[-3000:]
  assert_only_what_a_user_reads(sampled.stderr)

  # TensorBoard shows what metrics.jsonl holds: every logged scalar at every step, same values.
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    rows = [json.loads(line) for line in f]
  assert [r["step"] for r in rows] == [1, 2, 3, 4, 5, 6]
  tb = tensorboard_scalars(os.path.join(workdir, "tensorboard"))
  columns = set(rows[0]) - {"step", "time"}
  assert {"d_loss", "g_loss"} <= columns and set(tb) == columns, (sorted(tb), sorted(columns))
  for tag in columns:
    assert [s for s, _ in tb[tag]] == [r["step"] for r in rows], tag
    np.testing.assert_allclose([v for _, v in tb[tag]], [r[tag] for r in rows], rtol=1e-6,
                               err_msg=tag)  # TensorBoard stores float32


def test_kid_is_shown_x1e3_in_tables_and_tensorboard_and_kept_raw_in_metrics_jsonl(tmp_path):
  from ganjax.metrics.evaluation import format_table
  from ganjax.reporting import MetricWriter
  table = format_table({"fid": 12.5, "kid_mean": 0.0123, "kid_std": 0.0007})
  assert re.search(r"^kid_mean \(x1e3\)\s+12\.3$", table, re.M), table
  assert re.search(r"^kid_std \(x1e3\)\s+0\.7$", table, re.M), table
  assert re.search(r"^fid\s+12\.5$", table, re.M), table
  writer = MetricWriter(str(tmp_path))
  writer.write_scalars(3, {"eval/fid": 12.5, "eval/kid_mean": 0.0123})
  writer.close()
  with open(tmp_path / "metrics.jsonl") as f:
    row = json.loads(f.read())
  assert row["eval/kid_mean"] == 0.0123  # raw: the column docs/metrics.md defines
  tb = tensorboard_scalars(str(tmp_path / "tensorboard"))
  assert set(tb) == {"eval/fid", "eval/kid_mean_x1e3"}
  assert tb["eval/kid_mean_x1e3"][0] == (3, pytest.approx(12.3, rel=1e-6))


def test_num_samples_beyond_a_samples_file_is_refused_before_scoring(tmp_path):
  from ganjax.metrics.scoring import score
  path = str(tmp_path / "16.npy")
  np.save(path, np.zeros((16, 28, 28, 1), np.uint8))
  with pytest.raises(ConfigError, match=r"--num_samples=5000, but .*16\.npy holds 16 samples; "
                                        r"pass --num_samples=16 or fewer"):
    score(metrics="fid,kid", samples=path, num_samples=5000, dataset="fashion_mnist")
  r = run_script(["experiments/evaluate.py", f"--samples={path}", "--dataset=fashion_mnist",
                  "--num_samples=5000"])
  assert r.returncode == 1 and "Traceback" not in r.stderr
  assert "ganjax: ConfigError: --num_samples=5000, but" in r.stderr


@pytest.mark.slow
def test_sample_flags_noema_seed_and_step_each_change_what_they_should(digits_config, tmp_path):
  from ganjax.train.loop import train_and_evaluate
  from ganjax.train.restore import write_samples
  workdir = str(tmp_path / "run")
  train_and_evaluate(digits_config, workdir)  # checkpoints 2 and 4
  out = str(tmp_path / "cli.npy")
  r = run_script(["experiments/sample.py", f"--workdir={workdir}", f"--out={out}", "--num=8",
                  "--noema", "--seed=1", "--step=2"])
  assert r.returncode == 0, r.stderr[-3000:]

  def draw(name, directory=workdir, **flags):
    path = str(tmp_path / f"{name}.npy")
    write_samples(directory, path, num=8, **flags)
    return np.load(path)
  default = draw("default")
  # The CLI passed each flag on: it wrote what the library writes for them.
  np.testing.assert_array_equal(np.load(out), draw("all", ema=False, seed=1, step=2))
  assert not np.array_equal(draw("noema", ema=False), default)  # the raw G, not its EMA
  seed1 = draw("seed1", seed=1)
  assert not np.array_equal(seed1, default)
  np.testing.assert_array_equal(draw("seed1_again", seed=1), seed1)  # a seed is reproducible
  step2 = draw("step2", step=2)
  assert not np.array_equal(step2, default)
  # --step=2 is the step-2 checkpoint: what the workdir samples when step 2 is its newest.
  older = str(tmp_path / "older")
  shutil.copytree(workdir, older)
  shutil.rmtree(os.path.join(older, "checkpoints", "4"))
  np.testing.assert_array_equal(step2, draw("newest_is_2", older))


def _free_slurm_port() -> int:
  """A free port in the range jax's SLURM detection derives from the job id (61440 + id % 4096)."""
  for port in range(61440 + os.getpid() % 2048, 65536):
    with socket.socket() as s:
      try:
        s.bind(("127.0.0.1", port))
      except OSError:
        continue
      return port
  raise RuntimeError("no free port in 61440..65535")


@pytest.mark.slow
def test_distributed_flag_joins_the_processes_a_cluster_describes(tmp_path):
  # --distributed passes nothing to jax.distributed.initialize: JAX reads the cluster from its
  # environment. Two localhost processes with the variables SLURM's srun sets for a 2-task job.
  workdir, port = str(tmp_path / "run"), _free_slurm_port()
  env = dict(os.environ, XLA_FLAGS=xla_flags("--xla_force_host_platform_device_count=2",
                                             COMPILE_ONLY_XLA_FLAGS),
             JAX_PLATFORMS="cpu", PYTHONPATH=ROOT, SLURM_JOB_ID=str(port - 61440),
             SLURM_STEP_NODELIST="localhost", SLURM_NTASKS="2", SLURM_STEP_NUM_NODES="1")
  procs = [subprocess.Popen(
      [sys.executable, *TRAIN, f"--workdir={workdir}", "--config.num_train_steps=2",
       "--config.batch_size=16", "--distributed"],
      cwd=ROOT, env={**env, "SLURM_PROCID": str(i), "SLURM_LOCALID": str(i)},
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
  outs = [p.communicate(timeout=600) for p in procs]
  for i, (p, (_, err)) in enumerate(zip(procs, outs)):
    assert p.returncode == 0, err[-3000:]
    assert f"jax.distributed: process {i} of 2, 2 local / 4 global devices" in err, err[-3000:]
  assert os.path.isdir(os.path.join(workdir, "checkpoints", "2"))
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    assert [json.loads(line)["step"] for line in f] == [1, 2]  # process 0 alone writes


@pytest.mark.slow
def test_evaluate_on_a_translation_run_scores_every_direction_as_the_library_does(tmp_path):
  from test_translation import tiny_pix2pix
  from ganjax.metrics.features import build_feature_net
  from ganjax.metrics.translation import translation_scores
  from ganjax.train.loop import train_and_evaluate
  cfg = tiny_pix2pix()
  cfg.num_train_steps = 2
  workdir = str(tmp_path / "run")
  state = train_and_evaluate(cfg, workdir)
  r = run_script(["experiments/evaluate.py", f"--workdir={workdir}", "--num_samples=16"])
  assert r.returncode == 0, r.stderr[-3000:]
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    row = [json.loads(line) for line in f][-1]
  assert row["source"] == "evaluate" and row["step"] == 2 and row["metrics"] == "translation"
  scores = {k[len("eval/"):]: v for k, v in row.items() if k.startswith("eval/")}
  directions = {k.split("/")[0] for k in scores}
  assert directions and all({f"{d}/{m}" for m in ("fid", "accuracy", "l1", "ssim")} <= set(scores)
                            for d in directions), scores
  assert all(scores[f"{d}/num_inputs"] == 16 for d in directions), scores  # says what it read
  for k, v in scores.items():  # the table shows each column
    assert re.search(rf"^{re.escape(k)}\s+\S+$", r.stdout, re.M), (k, r.stdout)
  from ganjax.train.experiment import build_experiment
  expected = translation_scores(build_experiment(cfg), state, build_feature_net("fashion_mnist_cnn"),
                                num=16)
  assert set(expected) == set(scores)
  for k in expected:
    assert scores[k] == pytest.approx(expected[k], rel=1e-4, abs=1e-6), k
