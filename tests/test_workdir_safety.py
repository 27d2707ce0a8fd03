"""A workdir no command can spoil: refused resumes write nothing, game changes are refused and
accepted changes recorded, read-only tools never move a checkpoint, one metrics row per step."""

import json
import os
import shutil

import pytest

from conftest import run_script, tensorboard_steps
from ganjax.errors import CheckpointError, ConfigError
from ganjax.train.loop import train_and_evaluate
from ganjax.train.restore import restore_run, write_samples


def _read(path):
  with open(path) as f:
    return f.read()


def _damage(workdir, step):
  for root, _, files in os.walk(os.path.join(workdir, "checkpoints", str(step), "state")):
    for name in files:
      path = os.path.join(root, name)
      if os.path.getsize(path) > 64:
        with open(path, "r+b") as f:
          f.truncate(os.path.getsize(path) // 3)


@pytest.fixture
def trained(digits_config, tmp_path):
  """A 4-step digits DCGAN workdir (checkpoints 2 and 4) and its config."""
  workdir = str(tmp_path / "run")
  train_and_evaluate(digits_config, workdir)
  return workdir, digits_config


def test_a_resume_refused_for_a_shape_change_leaves_config_and_logs_as_they_were(trained):
  workdir, cfg = trained
  before = {n: _read(os.path.join(workdir, n)) for n in ("config.json", "metrics.jsonl")}
  cfg.model.g_base_features = 32  # another G: other kernel shapes
  cfg.num_train_steps = 6
  with pytest.raises(CheckpointError, match=r"leaves differ: .*: saved \(\d+(, \d+)*\), this "
                                            r"config \(\d+(, \d+)*\)"):
    train_and_evaluate(cfg, workdir)
  assert {n: _read(os.path.join(workdir, n)) for n in before} == before
  exp, state = restore_run(workdir)  # the tools still read the run
  assert int(state.step) == 4


def test_game_changes_are_refused_and_accepted_changes_recorded_with_their_step(trained):
  workdir, cfg = trained
  saved = _read(os.path.join(workdir, "config.json"))
  cfg.num_train_steps, cfg.loss = 6, "hinge"
  with pytest.raises(ConfigError, match=r"at step 4 whose game this config changes \(loss: "
                                        r"'non_saturating' -> 'hinge'\).*allow_game_change"):
    train_and_evaluate(cfg, workdir)
  assert _read(os.path.join(workdir, "config.json")) == saved
  assert not os.path.exists(os.path.join(workdir, "config_history.jsonl"))
  cfg.loss = "non_saturating"
  cfg.optimizers.g.learning_rate = 1e-4  # not the game: accepted and recorded
  train_and_evaluate(cfg, workdir)
  rows = [json.loads(line) for line in _read(os.path.join(workdir, "config_history.jsonl"))
          .splitlines()]
  assert len(rows) == 1 and rows[0]["step"] == 4
  assert rows[0]["changes"]["optimizers.g.learning_rate"][1] == 1e-4
  assert rows[0]["changes"]["num_train_steps"] == [4, 6]
  assert json.loads(_read(os.path.join(workdir, "config.json")))["optimizers"]["g"][
      "learning_rate"] == 1e-4
  cfg.num_train_steps, cfg.loss, cfg.allow_game_change = 8, "hinge", True
  assert int(train_and_evaluate(cfg, workdir).step) == 8
  last = json.loads(_read(os.path.join(workdir, "config_history.jsonl")).splitlines()[-1])
  assert last["step"] == 6 and last["changes"]["loss"] == ["non_saturating", "hinge"]


def test_read_only_tools_never_move_a_damaged_checkpoint_and_say_which_step_they_used(
    trained, tmp_path, caplog):
  workdir, cfg = trained
  _damage(workdir, 4)
  listing = sorted(os.listdir(os.path.join(workdir, "checkpoints")))
  exp, state = restore_run(workdir)
  assert int(state.step) == 2
  assert any("Restored step 2: step 4 is damaged" in r.getMessage() for r in caplog.records)
  assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == listing
  assert not os.path.exists(os.path.join(workdir, "damaged_checkpoints"))
  # sample.py's path too, and it never creates directories for --out.
  with pytest.raises(ConfigError, match="does not exist; create it first"):
    write_samples(workdir, str(tmp_path / "no" / "such" / "x.png"))
  assert not os.path.exists(tmp_path / "no")
  out, shape = write_samples(workdir, str(tmp_path / "s.npy"), num=4)
  assert shape == (4, 16, 16, 1)
  assert not os.path.exists(os.path.join(workdir, "damaged_checkpoints"))
  # Only training quarantines it (and rewrites the step).
  cfg.num_train_steps = 4
  train_and_evaluate(cfg, workdir)
  assert os.listdir(os.path.join(workdir, "damaged_checkpoints"))[0].startswith("4-")


def test_a_checkpoint_unreadable_for_want_of_permission_is_not_quarantined(trained):
  if os.geteuid() == 0:  # root reads any file: model the failure at the orbax call instead
    import orbax.checkpoint as ocp
    workdir, cfg = trained
    original = ocp.CheckpointManager.restore

    def denied(self, step, *a, **k):
      if step == 4:
        raise PermissionError(13, "Permission denied", "checkpoints/4/state")
      return original(self, step, *a, **k)
    ocp.CheckpointManager.restore = denied
    try:
      with pytest.raises(CheckpointError, match="Permission denied.*left as it is"):
        train_and_evaluate(cfg, workdir)
    finally:
      ocp.CheckpointManager.restore = original
    assert not os.path.exists(os.path.join(workdir, "damaged_checkpoints"))
    assert "4" in os.listdir(os.path.join(workdir, "checkpoints"))


@pytest.mark.slow
def test_a_killed_and_resumed_run_logs_one_metrics_row_per_step(digits_config, tmp_path):
  workdir = str(tmp_path / "run")
  args = ["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
          f"--workdir={workdir}", "--config.num_train_steps=6", "--config.batch_size=8",
          "--config.log_every=1", "--config.checkpoint_every=2", "--config.sample_every=0"]
  r = run_script(args, env={"GANJAX_FAULT": "kill_after_step=3"})
  assert r.returncode == -9, r.stderr[-2000:]
  steps = [json.loads(line)["step"] for line in _read(os.path.join(workdir, "metrics.jsonl"))
           .splitlines()]
  assert steps == [1, 2, 3]  # step 3 was logged after the step-2 checkpoint
  r = run_script(args)
  assert r.returncode == 0, r.stderr[-2000:]
  steps = [json.loads(line)["step"] for line in _read(os.path.join(workdir, "metrics.jsonl"))
           .splitlines()]
  assert steps == [1, 2, 3, 4, 5, 6]
  assert tensorboard_steps(os.path.join(workdir, "tensorboard"), "d_loss") == [1, 2, 3, 4, 5, 6]


def test_a_missing_config_file_or_unknown_field_is_one_line_with_the_nearest_names(tmp_path):
  from ganjax.train.config_file import check_config_argv
  with pytest.raises(ConfigError, match=r"dcgan_digit\.py: no such file \(nearest: dcgan_digits"):
    check_config_argv(["train.py", "--config=experiments/configs/dcgan_digit.py"])
  with pytest.raises(ConfigError, match=r"config.optimizers.g has no field 'learnin_rate' "
                                        r"\(nearest: learning_rate\)"):
    check_config_argv(["train.py", "--config=experiments/configs/dcgan_digits.py",
                       "--config.optimizers.g.learnin_rate=3"])
  check_config_argv(["train.py", "--config=experiments/configs/dcgan_digits.py",
                     "--config.optimizers.g.learning_rate=3"])
  r = run_script(["experiments/train.py", "--config=experiments/configs/dcgan_digits.py",
                  "--config.num_train_step=3", f"--workdir={tmp_path / 'w'}"])
  assert r.returncode == 1 and "Traceback" not in r.stderr
  assert r.stderr.strip().splitlines()[-1].startswith(
      "ganjax: ConfigError: --config.num_train_step: config has no field 'num_train_step' "
      "(nearest: num_train_steps")
  assert not os.path.exists(tmp_path / "w")
