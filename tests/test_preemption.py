"""Preemption (ganjax/train/preemption.py): SIGTERM at a step no checkpoint falls on leaves a
checkpoint of that step, exits with the documented status, survives a second SIGTERM during the
save, and the resumed run ends equal to an uninterrupted one; two processes under jax.distributed,
launched from SLURM's variables, agree on one step and save it together."""

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from conftest import ROOT, run_script, xla_flags
from ganjax.checkpoint import Checkpointer
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate
from ganjax.train.preemption import PREEMPTED_EXIT_CODE, Preempted

STEPS = 12
TRAIN = ["experiments/train.py", "--config=experiments/configs/dcgan_digits.py"]
# checkpoint_every beyond the run: without the preemption save no checkpoint would exist.
OVERRIDES = [f"--config.num_train_steps={STEPS}", "--config.batch_size=16",
             "--config.checkpoint_every=1000", "--config.sample_every=0", "--config.log_every=1"]


def _config(digits_config):
  cfg = digits_config
  cfg.num_train_steps, cfg.batch_size, cfg.checkpoint_every, cfg.sample_every = STEPS, 16, 1000, 0
  cfg.log_every = 1
  return cfg


def _steps(workdir):
  return sorted(int(n) for n in os.listdir(os.path.join(workdir, "checkpoints")) if n.isdigit())


def _restore(cfg, workdir, step):
  ckpt = Checkpointer(workdir, read_only=True)
  state, _ = ckpt.restore(build_experiment(cfg).abstract_state(), step)
  ckpt.close()
  return jax.device_get(state)


@pytest.mark.slow
def test_sigterm_saves_the_step_reached_and_the_resumed_run_equals_an_uninterrupted_one(
    digits_config, tmp_path):
  cfg = _config(digits_config)
  stop = int(np.random.default_rng(20261207).integers(2, STEPS - 1))  # a step no save falls on
  workdir = str(tmp_path / "preempted")
  # A second SIGTERM arrives while the preemption checkpoint is being written.
  r = run_script([*TRAIN, f"--workdir={workdir}", *OVERRIDES],
                 env={"GANJAX_FAULT": f"term_after_step={stop},term_in_save={stop}"})
  assert r.returncode == PREEMPTED_EXIT_CODE, (r.returncode, r.stderr[-3000:])
  assert f"stopped by SIGTERM at step {stop}; checkpoint of step {stop} saved" in r.stderr
  assert "Received SIGTERM again: still saving" in r.stderr
  assert _steps(workdir) == [stop]
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    assert max(int(line.split('"step": ')[1].split(",")[0]) for line in f) == stop
  resumed = jax.device_get(train_and_evaluate(cfg, workdir))
  straight = jax.device_get(train_and_evaluate(cfg, str(tmp_path / "straight")))
  assert int(resumed.step) == STEPS
  jax.tree.map(lambda a, b: np.testing.assert_array_equal(a, b), resumed, straight)  # bit for bit


def test_in_process_sigint_raises_preempted_after_saving(digits_config, tmp_path, monkeypatch):
  """Ctrl-C in a notebook or a script calling train_and_evaluate: Preempted names the step and
  the checkpoint; the signal handlers are put back afterwards."""
  import signal
  cfg = _config(digits_config)
  cfg.num_train_steps = 4
  monkeypatch.setenv("GANJAX_FAULT", "int_after_step=2")
  before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
  with pytest.raises(Preempted, match=r"stopped by SIGINT at step 2; checkpoint of step 2"):
    train_and_evaluate(cfg, str(tmp_path / "run"))
  assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
  assert _steps(str(tmp_path / "run")) == [2]


@pytest.mark.slow
def test_two_processes_launched_by_slurm_agree_on_the_step_they_save(digits_config, tmp_path):
  from test_user_paths import _free_slurm_port
  cfg = _config(digits_config)
  workdir, port = str(tmp_path / "two"), _free_slurm_port()
  env = dict(os.environ, XLA_FLAGS=xla_flags("--xla_force_host_platform_device_count=2"),
             JAX_PLATFORMS="cpu", PYTHONPATH=ROOT, SLURM_JOB_ID=str(port - 61440),
             SLURM_STEP_NODELIST="localhost", SLURM_NTASKS="2", SLURM_STEP_NUM_NODES="1")

  def launch(fault_on_1):
    procs = [subprocess.Popen(
        [sys.executable, *TRAIN, f"--workdir={workdir}", *OVERRIDES, "--distributed"],
        cwd=ROOT, env={**env, "SLURM_PROCID": str(i), "SLURM_LOCALID": str(i),
                       **({"GANJAX_FAULT": fault_on_1} if i == 1 and fault_on_1 else {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    return procs, [p.communicate(timeout=600) for p in procs]

  # Only process 1 gets the notice, as when a scheduler evicts one host first.
  procs, outs = launch("term_after_step=4")
  codes = [p.returncode for p in procs]
  assert codes == [PREEMPTED_EXIT_CODE] * 2, (codes, outs[0][1][-2000:], outs[1][1][-2000:])
  (saved,) = _steps(workdir)  # one step, the same for both
  assert 4 <= saved < STEPS, saved
  for _, err in outs:
    assert f"at step {saved}; checkpoint of step {saved} saved" in err, err[-2000:]
  procs, outs = launch(None)  # the next launch resumes and finishes
  assert [p.returncode for p in procs] == [0, 0], outs[0][1][-3000:]
  one = jax.device_get(train_and_evaluate(cfg, str(tmp_path / "one")))
  # Float tolerance as test_multihost.py: 4 devices sum gradients in another order than 1.
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=0, atol=5e-5), one,
               _restore(cfg, workdir, STEPS))
