"""Exact resume: K steps, a stopped process, a resumed run to 2K == 2K steps straight."""

import json
import os

import jax
import numpy as np

from conftest import run_script
from ganjax.data.schema import image_fields
from ganjax.data.pipeline import make_train_dataset
from ganjax.data.sources import data_source
from ganjax.train.loop import train_and_evaluate

K = 3


def _data_state(workdir, step):
  with open(os.path.join(workdir, "checkpoints", str(step), "data", "metadata")) as f:
    return json.load(f)


def test_resume_equals_uninterrupted_run(digits_config, tmp_path):
  cfg = digits_config
  cfg.num_train_steps, cfg.checkpoint_every = 2 * K, K
  straight = jax.device_get(train_and_evaluate(cfg, str(tmp_path / "straight")))

  resumed_dir = str(tmp_path / "resumed")
  overrides = [f"--config.{k}={cfg[k]}" for k in ("batch_size", "log_every", "sample_every")]
  first = run_script(["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
                      f"--workdir={resumed_dir}", f"--config.num_train_steps={K}",
                      f"--config.checkpoint_every={K}", *overrides])
  assert first.returncode == 0, first.stderr[-3000:]
  assert sorted(os.listdir(os.path.join(resumed_dir, "checkpoints"))) == [str(K)]
  resumed = jax.device_get(train_and_evaluate(cfg, resumed_dir))

  assert int(resumed.step) == int(straight.step) == 2 * K
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=0, atol=1e-6), resumed, straight)

  # The batches seen are the same: the stopped process saved the iterator exactly K batches in,
  # and both runs end at the same iterator position.
  it = iter(make_train_dataset(data_source(cfg.dataset, "train"), global_batch_size=cfg.batch_size,
                               seed=cfg.seed, fields=image_fields((16, 16, 1))))
  for _ in range(K):
    next(it)
  assert _data_state(resumed_dir, K) == it.get_state()
  assert _data_state(resumed_dir, 2 * K) == _data_state(str(tmp_path / "straight"), 2 * K)


def test_sample_cli_writes_requested_count_shape_dtype(digits_config, tmp_path):
  train_and_evaluate(digits_config, str(tmp_path))
  out = tmp_path / "s.npy"
  r = run_script(["experiments/sample.py", f"--workdir={tmp_path}", "--num=37", f"--out={out}"])
  assert r.returncode == 0, r.stderr[-3000:]
  samples = np.load(out)
  assert samples.shape == (37, 16, 16, 1) and samples.dtype == np.uint8
  assert samples.std() > 0  # not a constant image
  png = tmp_path / "grid.png"
  r = run_script(["experiments/sample.py", f"--workdir={tmp_path}", "--num=9", f"--out={png}"])
  assert r.returncode == 0 and png.stat().st_size > 0
  bad = run_script(["experiments/sample.py", f"--workdir={tmp_path}", "--num=4", "--out=x.gif"])
  assert bad.returncode != 0 and "must end in .npy or .png" in bad.stderr
