"""Shared fixtures: small configs on the bundled digits data, fixed seeds."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # so tests can import experiments.configs


@pytest.fixture
def digits_config():
  """The seed DCGAN on 16x16 digits with a tiny batch and few steps: seconds per run."""
  from experiments.configs import dcgan_digits
  c = dcgan_digits.get_config()
  c.batch_size = 8
  c.num_train_steps = 4
  c.log_every = 2
  c.sample_every = 0
  c.checkpoint_every = 2
  return c


def run_script(args, timeout=900, env=None):
  """Runs `python ARGS...` from the repo root; returns the CompletedProcess (text mode)."""
  import subprocess
  full_env = dict(os.environ, **(env or {}))
  full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
  return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                        timeout=timeout, env=full_env)


def with_objective(exp, **fields):
  """`exp` with its family's objective fields replaced (e.g. a toy penalty); before any compile."""
  import dataclasses
  objective = dataclasses.replace(exp.objective, **fields)
  exp.family = dataclasses.replace(exp.family, objective=objective)
  return exp
