"""Training techniques in the compiled step: feature matching against a hand computation, n critic
steps as one compiled loop that really makes n updates, and short real runs with every technique."""

import json
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax

from ganjax.core.keys import sample_latent
from ganjax.core.phases import Phase
from ganjax.core.state import Player
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate
from ganjax.train.step import make_train_step, phase_key


def _mlp(cfg):
  """The digits config with a small MLP G and D: exact hand computations, fast compiles."""
  cfg.model = ml_collections.ConfigDict(dict(name="mlp", latent_dim=8, g_hidden=(16,),
                                             d_hidden=(12, 6)))
  return cfg


def _batch(b=8, seed=3):
  real = jax.random.uniform(jax.random.PRNGKey(seed), (b, 16, 16, 1), minval=-1, maxval=1)
  return {"image": real, "label": jnp.zeros(b, jnp.int32)}


def _selu(x):
  return 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0)))


def test_feature_matching_g_loss_matches_hand_computation(digits_config):
  cfg = _mlp(digits_config)
  cfg.g_objective = "feature_matching"
  exp = build_experiment(cfg)
  state = exp.init_state()
  g_vars = jax.device_get(state.variables("g"))
  kg = phase_key(state, exp.objective.phases[1])
  batch = _batch()
  new_state, metrics = exp.train_step(state, batch)

  # The G loss is computed after the D update, against the new D, with the documented keys.
  z = sample_latent(jax.random.split(kg, 4)[0], 8, 8)
  fake = np.asarray(exp.family.networks["g"].apply(g_vars, z, train=True), np.float64)
  d = jax.device_get(new_state.players["d"].params["d"])

  def features(x):  # D's last hidden layer: selu(selu(x W0 + b0) W1 + b1)
    h = np.asarray(x, np.float64).reshape(x.shape[0], -1)
    for name in ("Dense_0", "Dense_1"):
      h = _selu(h @ np.asarray(d[name]["kernel"], np.float64) + np.asarray(d[name]["bias"]))
    return h

  expected = np.sum((features(batch["image"]).mean(0) - features(fake).mean(0)) ** 2)
  assert expected > 1e-4
  np.testing.assert_allclose(float(metrics["g_loss"]), expected, rtol=1e-4)
  np.testing.assert_allclose(float(metrics["g_feature_matching"]), expected, rtol=1e-4)


class _CountingLoss:
  """Forwards to a phase loss, counting how often it is traced (a Python side effect)."""

  def __init__(self, loss):
    self.loss, self.traces = loss, 0

  def __call__(self, *args):
    self.traces += 1
    return self.loss(*args)


def test_n_critic_steps_are_one_compiled_loop_making_n_d_updates(digits_config):
  exp = build_experiment(_mlp(digits_config))
  state, batch = exp.init_state(), _batch()
  traces, steps, counting = {}, {}, {}
  d_phase, g_phase = exp.objective.phases
  for n in (2, 5):
    counting[n] = _CountingLoss(d_phase.loss)
    phases = (Phase("d", "d", counting[n], repeat=n), g_phase)
    steps[n] = jax.jit(make_train_step(phases, exp.optimizers))
    assert "stablehlo.while" in steps[n].lower(state, batch).as_text()  # the loop is in the program
    traces[n] = counting[n].traces
  # The D loss is traced a fixed number of times (shape probe + loop body), independent of n ...
  assert traces[2] == traces[5] <= 2
  # ... and each call of the compiled step is one dispatch: no retrace, one cached executable.
  after = steps[2](state, batch)[0]
  steps[2](state, batch)
  assert counting[2].traces == traces[2] and steps[2]._cache_size() == 1

  # The step equals two manual critic updates with the documented keys fold_in(phase key, i).
  kd = phase_key(state, d_phase)
  tx = exp.optimizers["d"]

  @jax.jit
  def d_update(s, key):
    d = s.players["d"]
    grads, (_, cols) = jax.grad(d_phase.loss, has_aux=True)(d.params, s, batch, key)
    updates, opt_state = tx.update(grads, d.opt_state, d.params)
    d = Player(optax.apply_updates(d.params, updates), {**d.collections, **cols}, opt_state)
    return s.replace(players={**s.players, "d": d})

  one = d_update(state, jax.random.fold_in(kd, 0))
  two = d_update(one, jax.random.fold_in(kd, 1))
  leaves = lambda s: jax.tree.leaves(s.players["d"].params)
  for a, m in zip(leaves(after), leaves(two)):
    np.testing.assert_allclose(a, m, rtol=1e-5, atol=1e-6)
  assert any(not np.allclose(a, b, atol=1e-6) for a, b in zip(leaves(after), leaves(one)))


def _run(cfg, workdir):
  cfg.num_train_steps, cfg.log_every, cfg.checkpoint_every = 4, 1, 0
  state = train_and_evaluate(cfg, str(workdir))
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    rows = [json.loads(line) for line in f]
  assert len(rows) == 4
  for row in rows:
    assert all(np.isfinite(v) for k, v in row.items() if k not in ("step", "time")), row
    assert row["nonfinite_steps"] == 0
  return state, rows


def test_training_with_ada_minibatch_stddev_vbn_and_feature_matching_is_finite(digits_config, tmp_path):
  cfg = digits_config
  cfg.augment = dict(policy="color,translation,cutout", ada=True, ada_interval=2, ada_kimg=0.064)
  cfg.model.minibatch_stddev = True
  cfg.model.g_norm, cfg.model.vbn_reference_size = "virtual_batch", 8
  cfg.g_objective = "feature_matching"
  state, rows = _run(cfg, tmp_path)
  # ADA's p follows the documented rule from the logged signs: +-2 * 8 / 64 per 2 steps.
  # p is logged as "ada_p" after each step's update.
  p = 0.0
  for t in (0, 2):
    np.testing.assert_allclose(rows[t]["ada_p"], p, atol=1e-6)  # not due yet: unchanged
    r = (rows[t]["d_real_sign"] + rows[t + 1]["d_real_sign"]) / 2
    p = float(np.clip(p + np.sign(r - 0.6) * 0.25, 0.0, 1.0))
    np.testing.assert_allclose(rows[t + 1]["ada_p"], p, atol=1e-6)
  np.testing.assert_allclose(float(state.extras["ada"]["p"]), p, atol=1e-6)
  assert int(state.extras["ada"]["n"]) == 0
  assert "g_feature_matching" in rows[0]


def test_training_with_diffaugment_and_minibatch_discrimination_is_finite(digits_config, tmp_path):
  cfg = digits_config
  cfg.augment = dict(policy="color,translation,cutout")
  cfg.model.minibatch_discrimination, cfg.model.minibatch_kernel_dim = 16, 4
  state, _ = _run(cfg, tmp_path)
  assert "ada" not in state.extras
  assert state.players["d"].params["d"]["MinibatchHead_0"]["MinibatchDiscrimination_0"]["T"].shape[1:] == (16, 4)
