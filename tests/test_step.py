"""One compiled minimax step against a hand computation of the non-saturating BCE; the phase
machinery (repeat, every) against counts of what really ran."""

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.core.keys import sample_latent
from ganjax.core.outputs import logits_of
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
  g, d = exp.family.networks["g"], exp.family.networks["d"]
  state = exp.init_state()
  g0, d0 = _np(state.players["g"].params), _np(state.players["d"].params)
  g_vars0 = jax.device_get(state.variables("g"))
  key = jax.device_get(state.key)
  real = jax.random.uniform(jax.random.PRNGKey(7), (cfg.batch_size, 16, 16, 1), minval=-1, maxval=1)

  new_state, metrics = exp.train_step(state, {"image": real, "label": jnp.zeros(cfg.batch_size, jnp.int32)})

  # Keys as documented in ganjax.train.step.phase_key and the objective: (latent, dropout, aug,
  # penalty) from fold_in(fold_in(root, step), phase purpose).
  kd, kg = (jax.random.fold_in(jax.random.fold_in(key, 0), p.purpose) for p in exp.objective.phases)
  latent = exp.objective.latent_dim
  z_d = sample_latent(jax.random.split(kd, 4)[0], cfg.batch_size, latent)
  z_g = sample_latent(jax.random.split(kg, 4)[0], cfg.batch_size, latent)
  fake_d, _ = g.apply(g_vars0, z_d, train=True, mutable=["batch_stats"])
  logits = lambda params, x: logits_of(d.apply({"params": params["d"]}, x, train=False))
  d_loss = _bce_hand(logits(d0, real), 1) + _bce_hand(logits(d0, fake_d), 0)
  fake_g, _ = g.apply(g_vars0, z_g, train=True, mutable=["batch_stats"])
  d1 = jax.device_get(new_state.players["d"].params)
  g_loss = _bce_hand(logits(d1, fake_g), 1)

  np.testing.assert_allclose(float(metrics["d_loss"]), d_loss, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["g_loss"]), g_loss, rtol=1e-5)
  for before, after in ((g0, new_state.players["g"].params), (d0, new_state.players["d"].params)):
    changed = jax.tree.leaves(jax.tree.map(lambda a, b: not np.allclose(a, b), before, _np(after)))
    assert all(changed), "every parameter leaf of both sides must move after one step"
  assert int(new_state.step) == 1
  # BatchNorm running statistics of G were updated by the generator step.
  bn = lambda cols: np.asarray(jax.tree.leaves(cols["batch_stats"])[0])
  assert not np.allclose(bn(g_vars0), bn(new_state.players["g"].collections["g"]))


def test_ema_follows_warmup_formula(digits_config):
  exp = build_experiment(digits_config)
  state = exp.init_state()
  ema = _np(state.ema["g"])
  batch = {"image": jnp.zeros((8, 16, 16, 1)), "label": jnp.zeros(8, jnp.int32)}
  for t in range(3):
    state, _ = exp.train_step(state, batch)
    decay = min(digits_config.ema_decay, (1.0 + t) / (10.0 + t))
    ema = jax.tree.map(lambda e, p: decay * e + (1 - decay) * p, ema, _np(state.players["g"].params["g"]))
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6), ema,
               _np(state.ema["g"]))


def _counting_phases(every: int, repeat: int):
  """A one-player toy: params {"w": scalar}; phase "inc" adds 1 to extras-free params via SGD on
  loss -w (gradient -1, lr 1), so w counts the updates the phase really made."""
  import optax
  from ganjax.core.phases import Phase
  from ganjax.core.state import GANState, Player
  from ganjax.train.step import make_train_step

  def loss(params, state, batch, key):
    del state, batch, key
    return -params["net"]["w"], ({"w": params["net"]["w"]}, {})

  tx = optax.sgd(1.0)
  params = {"net": {"w": jnp.zeros(())}}
  state = GANState(step=jnp.zeros((), jnp.int32), key=jax.random.PRNGKey(0),
                   players={"p": Player(params, {"net": {}}, tx.init(params))},
                   extras={"nonfinite": {"consecutive": jnp.zeros((), jnp.int32),
                                         "total": jnp.zeros((), jnp.int32),
                                         "tripped_at": jnp.full((), -1, jnp.int32)}})
  step = jax.jit(make_train_step((Phase("inc", "p", loss, repeat=repeat, every=every),), {"p": tx}))
  return state, step


def test_phase_every_k_runs_on_exactly_the_steps_k_divides():
  state, step = _counting_phases(every=3, repeat=1)
  ran = []
  for t in range(10):
    before = float(state.players["p"].params["net"]["w"])
    state, metrics = step(state, {})
    ran.append(float(state.players["p"].params["net"]["w"]) - before)
    if t % 3:  # a skipped phase computes nothing and reports zeros
      assert float(metrics["inc_grad_norm"]) == 0.0
  assert ran == [1.0 if t % 3 == 0 else 0.0 for t in range(10)]


def test_phase_repeat_n_makes_n_updates():
  state, step = _counting_phases(every=1, repeat=5)
  state, metrics = step(state, {})
  state, metrics = step(state, {})
  assert float(state.players["p"].params["net"]["w"]) == 10.0
  assert float(metrics["w"]) == 9.0  # the metrics of the last repeat (w before its update)
