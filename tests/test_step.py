"""One compiled minimax step against a hand computation of the non-saturating BCE."""

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.objectives import sample_latent
from ganjax.train.experiment import build_experiment


def _np(tree):
  return jax.tree.map(lambda x: np.array(x, np.float64), jax.device_get(tree))


def _bce_hand(logits, label):
  """-log sigmoid(l) for label 1, -log(1 - sigmoid(l)) for label 0, in float64."""
  p = 1.0 / (1.0 + np.exp(-np.asarray(logits, np.float64)))
  return float(np.mean(-np.log(p) if label == 1 else -np.log(1.0 - p)))


def test_one_step_matches_hand_computed_bce(digits_config):
  cfg = digits_config
  cfg.model.dropout_rate = 0.0  # so D's logits are deterministic for the hand computation
  exp = build_experiment(cfg)
  g, d = exp.models.generator, exp.models.discriminator
  state = exp.init_state()
  g0, d0 = _np(state.g.params), _np(state.d.params)
  g_vars0 = jax.device_get(state.g.variables())
  key = jax.device_get(state.key)
  real = jax.random.uniform(jax.random.PRNGKey(7), (cfg.batch_size, 16, 16, 1), minval=-1, maxval=1)

  new_state, metrics = exp.train_step(state, {"image": real, "label": jnp.zeros(cfg.batch_size, jnp.int32)})

  # Keys as documented in ganjax.train.step.step_keys and the objective: (latent, dropout, aug, penalty).
  kd, kg = jax.random.split(jax.random.fold_in(key, 0))
  z_d = sample_latent(jax.random.split(kd, 4)[0], cfg.batch_size, exp.models.latent_dim)
  z_g = sample_latent(jax.random.split(kg, 4)[0], cfg.batch_size, exp.models.latent_dim)
  fake_d, _ = g.apply(g_vars0, z_d, train=True, mutable=["batch_stats"])
  d_loss = (_bce_hand(d.apply({"params": d0}, real, train=False), 1)
            + _bce_hand(d.apply({"params": d0}, fake_d, train=False), 0))
  fake_g, _ = g.apply(g_vars0, z_g, train=True, mutable=["batch_stats"])
  d1 = jax.device_get(new_state.d.params)
  g_loss = _bce_hand(d.apply({"params": d1}, fake_g, train=False), 1)

  np.testing.assert_allclose(float(metrics["d_loss"]), d_loss, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["g_loss"]), g_loss, rtol=1e-5)
  for before, after in ((g0, new_state.g.params), (d0, new_state.d.params)):
    changed = jax.tree.leaves(jax.tree.map(lambda a, b: not np.allclose(a, b), before, _np(after)))
    assert all(changed), "every parameter leaf of both sides must move after one step"
  assert int(new_state.step) == 1
  # BatchNorm running statistics of G were updated by the generator step.
  assert not np.allclose(np.asarray(g_vars0["batch_stats"]["BatchNorm_0"]["mean"]),
                         np.asarray(new_state.g.collections["batch_stats"]["BatchNorm_0"]["mean"]))


def test_ema_follows_warmup_formula(digits_config):
  exp = build_experiment(digits_config)
  state = exp.init_state()
  ema = _np(state.ema_params)
  batch = {"image": jnp.zeros((8, 16, 16, 1)), "label": jnp.zeros(8, jnp.int32)}
  for t in range(3):
    state, _ = exp.train_step(state, batch)
    decay = min(digits_config.ema_decay, (1.0 + t) / (10.0 + t))
    ema = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, ema, _np(state.g.params))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), ema,
               _np(state.ema_params))
