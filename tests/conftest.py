"""Shared fixtures: small configs on the bundled digits data, fixed seeds."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # so tests can import experiments.configs

# The suite compiles far more than it runs (most tests train a tiny config for a few steps), and
# XLA:CPU's LLVM -O2 is most of a compile. At -O1 a step compiles ~30% faster and the DCGAN step runs
# as fast; an SNGAN step runs ~15% slower (BENCHMARKS.md, "make test"). What is computed is the same
# program: only the machine code's optimisation differs. Set before jax starts its backend, inherited
# by every script a test runs (`xla_flags` keeps it in front of a test's own XLA_FLAGS, which win).
TEST_XLA_FLAGS = "--xla_backend_optimization_level=1"
# Tests that only compile (a few steps of a tiny config) use -O0: compiles ~2x faster.
COMPILE_ONLY_XLA_FLAGS = "--xla_backend_optimization_level=0"
os.environ["XLA_FLAGS"] = f"{TEST_XLA_FLAGS} {os.environ.get('XLA_FLAGS', '')}".strip()


def xla_flags(*extra: str) -> str:
  """XLA_FLAGS for a process a test starts: this session's (TEST_XLA_FLAGS first) then `extra`,
  which win where they set the same flag."""
  return " ".join([os.environ["XLA_FLAGS"], *extra]).strip()


def _session_compilation_cache() -> str:
  """A persistent XLA compilation cache for this test process (one per xdist worker, removed at
  exit), inherited by the scripts tests run: a resume test's second and third run of the same step
  load it instead of compiling (a pix2pix resume test: 90 s -> 42 s). Results are unchanged: a
  cached executable is the one that was compiled."""
  import atexit
  import shutil
  import tempfile
  directory = tempfile.mkdtemp(prefix="ganjax_test_xla_cache_")
  atexit.register(shutil.rmtree, directory, ignore_errors=True)
  os.environ["JAX_COMPILATION_CACHE_DIR"] = directory  # for the scripts tests start
  os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
  from ganjax.runtime import compile_cache
  return compile_cache.enable(directory)  # for this process (jax may be imported already)


_session_compilation_cache()


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
  full_env["XLA_FLAGS"] = xla_flags((env or {}).get("XLA_FLAGS", ""))
  full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
  return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                        timeout=timeout, env=full_env)


def with_objective(exp, **fields):
  """`exp` with its family's objective fields replaced (e.g. a toy penalty); before any compile."""
  import dataclasses
  objective = dataclasses.replace(exp.objective, **fields)
  exp.family = dataclasses.replace(exp.family, objective=objective)
  return exp


_EIGHT_DEVICE_SCRIPT = """
import json, sys, tempfile, jax, numpy as np
sys.path.insert(0, "tests")
from ganjax.train.loop import train_and_evaluate
{setup}
out = {{}}
for name, make in MAKERS:
  states = {{}}
  for label, n, mode in [("jit1", 1, "jit")] + [(m, 8, m[:-1]) for m in {modes!r}]:
    c = make()
    c.batch_size, c.num_train_steps, c.checkpoint_every = 16, {steps}, {steps}
    c.runtime.num_devices, c.runtime.parallelism = n, mode
    states[label] = jax.device_get(train_and_evaluate(c, tempfile.mkdtemp()))
  diff = lambda a, b: max(jax.tree.leaves(jax.tree.map(
      lambda x, y: float(np.max(np.abs(np.asarray(x, np.float64) - np.asarray(y, np.float64)), initial=0.0)), a, b)))
  out[name] = {{m: diff(states["jit1"], states[m]) for m in {modes!r}}}
print(json.dumps({{"devices": jax.device_count(), **out}}))
"""


def eight_device_gaps(setup: str, steps: int, xla_flags: str = COMPILE_ONLY_XLA_FLAGS,
                      modes: tuple[str, ...] = ("pmap8",)) -> dict:
  """Trains each (name, make_config) of MAKERS (defined by the code `setup`) for `steps` steps on
  1 device and on 8 fake devices in each of `modes` ("jit8": the sharded jit step, "pmap8": the
  per-device shard_map step), in a subprocess; returns {"devices": 8, name: {mode: max |diff|}}
  against the 1-device state.

  pmap8 unless told: a family's own code decides what happens per device there (its BatchNorm
  statistics, its draws, its pmeans), while the sharded jit step is the 1-device program that XLA
  partitions, checked once for the shared step (tests/test_parallel.py) and for StyleGAN2's lazy
  phases; each mode is a compile of init and step, most of such a test's time.
  xla_flags: more XLA_FLAGS for that subprocess (all runs alike): -O0 unless told, since a few
  steps of a tiny config are all compile."""
  import json
  r = run_script(["-c", _EIGHT_DEVICE_SCRIPT.format(setup=setup, steps=steps, modes=tuple(modes))],
                 env={"XLA_FLAGS": f"--xla_force_host_platform_device_count=8 {xla_flags}".strip(),
                      "JAX_PLATFORMS": "cpu"})
  assert r.returncode == 0, r.stderr[-3000:]
  out = json.loads(r.stdout.strip().splitlines()[-1])
  assert out["devices"] == 8
  return out


def straight_and_resumed(cfg, tmp_path, steps: int = 4):
  """Trains `cfg` for `steps` steps straight, and for steps / 2 then resumed to `steps` in another
  workdir (checkpoint every steps / 2); returns both final states on the host, after checking the
  resumed run reached `steps`."""
  import jax
  from ganjax.train.loop import train_and_evaluate
  cfg.num_train_steps, cfg.checkpoint_every = steps, steps // 2
  straight = jax.device_get(train_and_evaluate(cfg, str(tmp_path / "straight")))
  cfg.num_train_steps = steps // 2
  train_and_evaluate(cfg, str(tmp_path / "resumed"))
  cfg.num_train_steps = steps
  resumed = jax.device_get(train_and_evaluate(cfg, str(tmp_path / "resumed")))
  assert int(resumed.step) == int(straight.step) == steps
  return straight, resumed


def assert_every_parameter_trained(cfg, state) -> None:
  """No non-finite step was skipped, and every parameter of both players is finite and moved from
  the initialisation `cfg` builds."""
  import jax
  import numpy as np
  from ganjax.train.experiment import build_experiment
  start = jax.device_get(build_experiment(cfg).init_state())
  assert int(state.extras["nonfinite"]["total"]) == 0
  for player in ("g", "d"):
    for a, b in zip(jax.tree.leaves(state.players[player].params),
                    jax.tree.leaves(start.players[player].params)):
      assert np.all(np.isfinite(a)) and not np.array_equal(a, b)


def tensorboard_scalars(directory) -> dict[str, list[tuple[int, float]]]:
  """{tag: [(step, value), ...]} of the scalars as TensorBoard shows them: every event file in
  `directory` in order, a SessionLog.START at step s purging the earlier events of steps >= s
  (TensorBoard's reader)."""
  import struct
  from tensorboardX.proto import event_pb2
  scalars: dict[str, list[tuple[int, float]]] = {}
  for name in sorted(os.listdir(directory)):
    with open(os.path.join(directory, name), "rb") as f:
      data = f.read()
    pos = 0
    while pos < len(data):  # TFRecord framing: length, its crc, the record, its crc
      (length,) = struct.unpack("<Q", data[pos:pos + 8])
      event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
      pos += 16 + length
      if event.HasField("session_log") and event.session_log.status == event_pb2.SessionLog.START:
        scalars = {tag: [(s, v) for s, v in rows if s < event.step] for tag, rows in scalars.items()}
      for value in event.summary.value:
        scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
  return scalars


def tensorboard_steps(directory, tag) -> list[int]:
  """The steps of `tag`'s scalars as TensorBoard shows them (`tensorboard_scalars`)."""
  return [s for s, _ in tensorboard_scalars(directory).get(tag, [])]
