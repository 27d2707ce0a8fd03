"""Crashes, NaNs, damaged checkpoints, a second writer, a full disk: no work is lost."""

import errno
import os

import jax
import numpy as np
import pytest

from conftest import run_script
from ganjax.checkpoint import Checkpointer
from ganjax.errors import CheckpointError
from ganjax.train.loop import NonFiniteError, train_and_evaluate
from ganjax.workdir_lock import WorkdirLock, WorkdirLockedError

STEPS = 8


def _cli(workdir, cfg, steps, env=None):
  overrides = [f"--config.{k}={cfg[k]}" for k in ("batch_size", "log_every", "sample_every",
                                                  "checkpoint_every")]
  return run_script(["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
                     f"--workdir={workdir}", f"--config.num_train_steps={steps}", *overrides], env=env)


def _assert_trees_equal(a, b, atol=1e-6):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=0, atol=atol),
               jax.device_get(a), jax.device_get(b))


@pytest.mark.slow
@pytest.mark.parametrize("fault, expected_ckpts", [
    ("kill_after_step=5", ["2", "4"]),   # between saves
    ("kill_in_save=4", ["2"]),           # while step 4 is being written
])
def test_sigkill_then_resume_equals_uninterrupted(digits_config, tmp_path, fault, expected_ckpts):
  cfg = digits_config
  cfg.num_train_steps = STEPS
  killed_dir = str(tmp_path / "killed")
  r = _cli(killed_dir, cfg, STEPS, env={"GANJAX_FAULT": fault})
  assert r.returncode == -9, f"expected SIGKILL, got {r.returncode}: {r.stderr[-2000:]}"
  complete = sorted(n for n in os.listdir(os.path.join(killed_dir, "checkpoints")) if n.isdigit())
  assert complete == expected_ckpts  # the interrupted save left no step-4 checkpoint behind
  resumed = train_and_evaluate(cfg, killed_dir)
  straight = train_and_evaluate(cfg, str(tmp_path / "straight"))
  assert int(resumed.step) == STEPS
  _assert_trees_equal(resumed, straight)


def test_one_nan_batch_is_skipped_and_many_stop_the_run(digits_config, tmp_path):
  cfg = digits_config
  cfg.num_train_steps, cfg.log_every, cfg.max_bad_steps = 6, 1, 3
  cfg.debug.nan_at_steps = (2,)
  state = train_and_evaluate(cfg, str(tmp_path / "one"))
  assert int(state.extras["nonfinite"]["total"]) == 1
  assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(jax.device_get(state)))

  cfg.num_train_steps, cfg.checkpoint_every = 12, 2
  cfg.debug.nan_at_steps = (5, 6, 7, 8, 9)
  workdir = str(tmp_path / "many")
  with pytest.raises(NonFiniteError, match=r"3 consecutive steps up to step 8 .* Last good checkpoint: step 6"):
    train_and_evaluate(cfg, workdir)
  ckpt = Checkpointer(workdir)
  assert ckpt.all_steps() == [2, 4, 6]
  for step in ckpt.all_steps():
    state, _ = ckpt.restore(_abstract(cfg), step)
    assert all(np.all(np.isfinite(x)) for x in jax.tree.leaves(jax.device_get(state)))
  ckpt.close()


def _abstract(cfg):
  from ganjax.train.experiment import build_experiment
  return build_experiment(cfg).abstract_state()


def _damage_latest(workdir, step):
  state_dir = os.path.join(workdir, "checkpoints", str(step), "state")
  for root, _, files in os.walk(state_dir):
    for name in files:
      path = os.path.join(root, name)
      if os.path.getsize(path) > 64:
        with open(path, "r+b") as f:
          f.truncate(os.path.getsize(path) // 3)


def test_truncated_latest_checkpoint_falls_back_to_previous(digits_config, tmp_path):
  cfg = digits_config
  workdir = str(tmp_path)
  train_and_evaluate(cfg, workdir)  # saves steps 2 and 4
  _damage_latest(workdir, 4)
  ckpt = Checkpointer(workdir)
  state, data = ckpt.restore(_abstract(cfg))
  ckpt.close()
  assert int(state.step) == 2 and data is not None
  assert os.listdir(os.path.join(workdir, "damaged_checkpoints"))[0].startswith("4-")
  # Training on resumes from step 2 and rewrites step 4.
  final = train_and_evaluate(cfg, workdir)
  assert int(final.step) == 4
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints")))[:2] == ["2", "4"]


def test_full_disk_fails_clearly_and_keeps_earlier_checkpoints(digits_config, tmp_path, monkeypatch):
  cfg = digits_config
  workdir = str(tmp_path)
  train_and_evaluate(cfg, workdir)  # steps 2 and 4
  cfg.num_train_steps = 6
  import orbax.checkpoint as ocp

  def no_space(self, *args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")
  monkeypatch.setattr(ocp.CheckpointManager, "save", no_space)
  with pytest.raises(CheckpointError, match=r"No space left on device.*intact \(steps \[2, 4\]\)"):
    train_and_evaluate(cfg, workdir)
  monkeypatch.undo()
  ckpt = Checkpointer(workdir)
  state, _ = ckpt.restore(_abstract(cfg))
  ckpt.close()
  assert int(state.step) == 4


def test_second_writer_refused_and_stale_lock_taken_over(digits_config, tmp_path):
  workdir = str(tmp_path)
  with WorkdirLock(workdir):
    with pytest.raises(WorkdirLockedError, match=f"pid {os.getpid()}"):
      train_and_evaluate(digits_config, workdir)
  # A lock file left by a dead process (no flock held) is taken over.
  with open(os.path.join(workdir, ".lock"), "w") as f:
    f.write('{"pid": 999999, "host": "gone", "since": "yesterday"}')
  state = train_and_evaluate(digits_config, workdir)
  assert int(state.step) == digits_config.num_train_steps
