"""A SIGKILL-ed StyleGAN2 run with ADA and LeCam, resumed in a fresh process, ends bit for bit where
the uninterrupted run ends: the resumed steps cross a lazy path-length step, a lazy R1 step and an
ADA adjustment, and start from a checkpoint holding a part-filled ADA accumulator and LeCam's EMAs.
"""

import json
import os

import jax
import numpy as np
import pytest

from conftest import COMPILE_ONLY_XLA_FLAGS, run_script
from ganjax.train.restore import restore_run

STEPS, KILL_AFTER, CHECKPOINT_EVERY = 8, 6, 4

# StyleGAN2 as shipped (stylegan2_fashion_mnist32.py) at test size, with lazy R1 every 3 steps
# (shipped: 16), path length every 4 (shipped), ADA adjusting p every 3 steps by 0.24 (kimg 0.1)
# and LeCam. Phase counters t = step - 1: path length at t = 0, 4; R1 at t = 0, 3, 6; ADA after
# steps 3 and 6. The checkpoint at step 4 holds ADA's accumulator one step into its interval; the
# resumed steps 5..8 run path length (step 5), R1 (step 7) and an ADA update (step 6).
CONFIG = """
import ml_collections
from experiments.configs import stylegan2_fashion_mnist32

def get_config():
  c = stylegan2_fashion_mnist32.get_config()
  c.dataset.name = "digits"
  c.model.update(dict(latent_dim=16, w_dim=16, channel_base=256, channel_max=16))
  c.batch_size, c.log_every, c.sample_every, c.checkpoint_every = 8, 1, 0, {every}
  c.num_train_steps = {steps}
  c.regularizers = ml_collections.ConfigDict({{"r1": {{"weight": 0.01, "every": 3}},
                                              "lecam": {{"weight": 0.3, "decay": 0.9}}}})
  c.augment.update(dict(policy="color,translation", ada=True, ada_p_init=0.5, ada_interval=3,
                        ada_kimg=0.1))
  return c
"""


def _train(config_path, workdir, env=None):
  return run_script(["experiments/train.py", f"--config={config_path}", f"--workdir={workdir}"],
                    env={"XLA_FLAGS": COMPILE_ONLY_XLA_FLAGS, **(env or {})})


def _rows(workdir):
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    return {r["step"]: r for r in map(json.loads, f)}


@pytest.mark.slow
def test_sigkill_resume_across_lazy_phases_with_ada_and_lecam_is_bit_exact(tmp_path):
  config = tmp_path / "tiny_stylegan2_ada_lecam.py"
  config.write_text(CONFIG.format(every=CHECKPOINT_EVERY, steps=STEPS))
  killed, straight = str(tmp_path / "killed"), str(tmp_path / "straight")
  r = _train(config, killed, env={"GANJAX_FAULT": f"kill_after_step={KILL_AFTER}"})
  assert r.returncode == -9, f"expected SIGKILL, got {r.returncode}: {r.stderr[-2000:]}"
  assert sorted(n for n in os.listdir(os.path.join(killed, "checkpoints")) if n.isdigit()) == ["4"]
  _, at_kill = restore_run(killed)  # the state the resumed process starts from
  assert int(at_kill.step) == 4
  ada, lecam = jax.device_get(at_kill.extras["ada"]), jax.device_get(at_kill.extras["lecam"])
  assert int(ada["n"]) == 1 and float(ada["sum"]) != 0  # ADA mid-interval
  assert float(ada["p"]) != 0.5  # moved once, after step 3
  assert int(lecam["count"]) == 4 and float(lecam["real"]) != 0 and float(lecam["fake"]) != 0

  r = _train(config, killed)  # a fresh process resumes from step 4
  assert r.returncode == 0, r.stderr[-2000:]
  assert "Resumed from step 4" in r.stderr
  r = _train(config, straight)
  assert r.returncode == 0, r.stderr[-2000:]

  rows = _rows(killed)
  assert sorted(rows) == list(range(1, STEPS + 1))  # one row per step after the kill
  # The resumed steps ran the lazy phases where their counters fall (t = step - 1).
  assert [s for s in range(5, STEPS + 1) if rows[s]["pl_penalty"] != 0] == [5]
  assert [s for s in range(5, STEPS + 1) if rows[s]["reg_r1"] != 0] == [7]
  assert rows[6]["ada_p"] != rows[5]["ada_p"] and rows[8]["ada_p"] == rows[6]["ada_p"]
  straight_rows = _rows(straight)
  timing = lambda k: k == "time" or "per_sec" in k
  for s in range(1, STEPS + 1):  # the logged losses too, bit for bit
    assert {k: v for k, v in rows[s].items() if not timing(k)} == \
        {k: v for k, v in straight_rows[s].items() if not timing(k)}, s

  _, resumed_state = restore_run(killed)
  _, straight_state = restore_run(straight)
  assert int(resumed_state.step) == int(straight_state.step) == STEPS
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=0, atol=0),
               jax.device_get(resumed_state), jax.device_get(straight_state))
  assert int(resumed_state.extras["lecam"]["count"]) == STEPS
