"""experiments/evaluate.py and periodic evaluation on a tiny Fashion-MNIST DCGAN run."""

import json
import os

import numpy as np
import pytest

from ganjax.errors import ConfigError
from tests.conftest import run_script

STEPS, EVAL_EVERY = 12, 6


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory):
  """A fresh reference-statistics cache shared by this module's runs and subprocesses."""
  old = os.environ.get("GANJAX_CACHE_DIR")
  os.environ["GANJAX_CACHE_DIR"] = str(tmp_path_factory.mktemp("ganjax_cache"))
  yield os.environ["GANJAX_CACHE_DIR"]
  if old is None:
    del os.environ["GANJAX_CACHE_DIR"]
  else:
    os.environ["GANJAX_CACHE_DIR"] = old


def _tiny_config():
  from experiments.configs import dcgan_fashion_mnist
  c = dcgan_fashion_mnist.get_config()
  c.batch_size, c.num_train_steps, c.log_every = 16, STEPS, 6
  c.sample_every, c.checkpoint_every, c.keep_checkpoints = 0, 4, 1
  c.eval_every, c.eval_metrics, c.eval_num_samples = EVAL_EVERY, "fid,kid,is,pr", 200
  return c


@pytest.fixture(scope="module")
def workdir(cache_env, tmp_path_factory):
  from ganjax.train.loop import train_and_evaluate
  wd = str(tmp_path_factory.mktemp("dcgan"))
  train_and_evaluate(_tiny_config(), wd)
  return wd


def _rows(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return [json.loads(line) for line in f]


@pytest.mark.slow
def test_training_evaluates_periodically_and_keeps_the_best_fid_checkpoint(workdir):
  evals = {r["step"]: r for r in _rows(workdir) if "eval/fid" in r}
  assert sorted(evals) == [EVAL_EVERY, STEPS]
  for r in evals.values():
    assert {"eval/fid", "eval/kid_mean", "eval/kid_std", "eval/is_mean", "eval/is_std",
            "eval/precision", "eval/recall", "eval/num_samples"} <= set(r)
    assert r["eval/fid"] > 0 and r["eval/num_samples"] == 200
  best_step = min(evals, key=lambda s: evals[s]["eval/fid"])
  # Rotation keeps only the newest regular checkpoint; the best one lives apart and survives.
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == [str(STEPS)]
  assert [d for d in os.listdir(os.path.join(workdir, "checkpoints_best")) if d.isdigit()] == [str(best_step)]
  from ganjax.metrics.periodic import restore_best
  from ganjax.train.experiment import build_experiment
  step, state = restore_best(workdir, build_experiment(_tiny_config()).abstract_state())
  assert step == best_step and int(state.step) == best_step


@pytest.mark.slow
def test_evaluate_cli_prints_and_records_every_requested_metric(workdir):
  before = len(_rows(workdir))
  proc = run_script(["experiments/evaluate.py", f"--workdir={workdir}", "--metrics=fid,kid,is,pr,dc",
                     "--num_samples=300"])
  assert proc.returncode == 0, proc.stderr[-3000:]
  columns = ["fid", "kid_mean", "kid_std", "is_mean", "is_std", "precision", "recall", "density",
             "coverage", "num_samples"]
  table = proc.stdout
  for c in columns:
    assert any(line.split()[:1] == [c] for line in table.splitlines()), (c, table)
  rows = _rows(workdir)
  assert len(rows) == before + 1
  row = rows[-1]
  assert row["step"] == STEPS and row["feature_net"] == "fashion_mnist_cnn"
  assert all(np.isfinite(row[f"eval/{c}"]) for c in columns) and row["eval/num_samples"] == 300
  # KID is shown x 1e3 under a name that says so; metrics.jsonl keeps the raw value.
  shown = {line.rsplit(None, 1)[0].strip(): line.rsplit(None, 1)[-1] for line in table.splitlines()}
  for c in ("kid_mean", "kid_std"):
    assert float(shown[f"{c} (x1e3)"]) == pytest.approx(1e3 * row[f"eval/{c}"], rel=1e-5), shown
  # 12 steps of training are far from the data: FID above a real subset's (about 1, see test_metrics_domain).
  assert row["eval/fid"] > 5.0


@pytest.mark.slow
def test_evaluate_cli_scores_a_samples_file(cache_env, tmp_path):
  from ganjax.metrics.data import load_split
  from tests.test_metrics_domain import FASHION
  images, labels = load_split(FASHION, "train", limit=1000)
  np.save(tmp_path / "real.npy", images)
  np.save(tmp_path / "labels.npy", labels)
  out = tmp_path / "scores.jsonl"
  proc = run_script(["experiments/evaluate.py", f"--samples={tmp_path / 'real.npy'}",
                     f"--labels={tmp_path / 'labels.npy'}", "--metrics=fid,ifid,pr",
                     f"--out_jsonl={out}"])
  assert proc.returncode == 0, proc.stderr[-3000:]
  row = json.loads(out.read_text().splitlines()[-1])
  assert row["eval/num_samples"] == 1000 and row["dataset"] == "fashion_mnist"
  assert row["eval/precision"] > 0.6 and row["eval/recall"] > 0.6
  assert row["eval/intra_class_fid"] > 0

  bad = run_script(["experiments/evaluate.py", f"--samples={tmp_path / 'real.npy'}", "--metrics=fid,fdi"])
  assert bad.returncode != 0 and "Unknown metric 'fdi'" in bad.stderr and "kid" in bad.stderr
  np.save(tmp_path / "float.npy", images.astype(np.float32))
  bad = run_script(["experiments/evaluate.py", f"--samples={tmp_path / 'float.npy'}"])
  assert bad.returncode != 0 and "uint8" in bad.stderr


def test_eval_config_is_checked_before_compiling(digits_config):
  from ganjax.train.validate import validate_config
  c = _tiny_config()
  c.eval_metrics = "fid,bogus"
  with pytest.raises(ConfigError, match="Unknown metric 'bogus'"):
    validate_config(c)
  c = _tiny_config()
  c.eval_num_samples = 3
  with pytest.raises(ConfigError, match="eval_num_samples"):
    validate_config(c)
  # The shipped feature network takes 28x28x1; the digits are 16x16.
  digits_config.eval_every = 5
  with pytest.raises(ConfigError, match="eval_feature_net"):
    validate_config(digits_config)
  digits_config.eval_every = 0
  validate_config(digits_config)
