"""Discriminator regularizers against closed forms, finite differences and hand computations;
lazy regularization; stateful regularizers' state; weight clipping; config errors; and all of them
through the real compiled step."""

import types

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from ganjax.objectives import regularizers as R
from ganjax.errors import ConfigError
from ganjax.objectives import PenaltyInputs
from ganjax.optimizers import build_optimizer
from ganjax.train.experiment import build_experiment

B, SHAPE = 6, (4, 4, 2)
KEY = jax.random.PRNGKey(0)


def _images(seed, low=-1.0, high=1.0):
  return jax.random.uniform(jax.random.PRNGKey(seed), (B, *SHAPE), minval=low, maxval=high)


def _linear(w):
  """critic(x)_i = <w, x_i>: grad = w for every input, ||grad|| = ||w||."""
  return lambda x: jnp.sum(x * w, axis=(1, 2, 3))


def _quadratic(a):
  """critic(x)_i = 1/2 sum a x_i^2: grad = a * x_i."""
  return lambda x: 0.5 * jnp.sum(a * x * x, axis=(1, 2, 3))


def _norms(g):
  return np.linalg.norm(np.asarray(g, np.float64).reshape(len(g), -1), axis=1)


# ----------------------------------------------------------------------------- closed forms

def test_gradient_penalty_and_dragan_of_a_linear_critic_are_the_closed_form():
  w = 0.3 * jax.random.normal(jax.random.PRNGKey(1), SHAPE)
  expected = (np.linalg.norm(np.asarray(w, np.float64)) - 1.0) ** 2  # any point: ||grad|| = ||w||
  critic, real, fake = _linear(w), _images(2), _images(3)
  np.testing.assert_allclose(float(R.gradient_penalty(critic, real, fake, KEY)), expected, rtol=1e-5)
  np.testing.assert_allclose(float(R.dragan(critic, real, fake, KEY)), expected, rtol=1e-5)
  np.testing.assert_allclose(float(R.gradient_penalty(critic, real, fake, KEY, target=0.5)),
                             (np.linalg.norm(np.asarray(w, np.float64)) - 0.5) ** 2, rtol=1e-5)


def test_gradient_penalties_of_a_quadratic_critic_are_the_closed_form():
  a = jax.random.uniform(jax.random.PRNGKey(4), SHAPE, minval=0.5, maxval=2.0)
  critic, real, fake = _quadratic(a), _images(5), _images(6)
  an, rn, fn = (np.asarray(v, np.float64) for v in (a, real, fake))
  r1 = 0.5 * np.mean(_norms(an * rn) ** 2)
  r2 = 0.5 * np.mean(_norms(an * fn) ** 2)
  np.testing.assert_allclose(float(R.r1(critic, real, fake, KEY)), r1, rtol=1e-5)
  np.testing.assert_allclose(float(R.r2(critic, real, fake, KEY)), r2, rtol=1e-5)
  # real == fake: every interpolate is the sample itself, whatever e is drawn.
  gp = np.mean((_norms(an * rn) - 1.0) ** 2)
  np.testing.assert_allclose(float(R.gradient_penalty(critic, real, real, KEY)), gp, rtol=1e-5)


def test_dragan_perturbs_real_samples_by_up_to_scale_times_their_std():
  # critic 1/2 ||x||^2 (grad = x) with target 0: the penalty is E||x_p||^2. For x >= 0 and
  # x_p = x + a * scale * std * u with a, u in [0, 1): E||x||^2 <= penalty <= E||x + scale std||^2.
  real = _images(7, low=0.0, high=1.0)
  rn = np.asarray(real, np.float64)
  std = rn.std()
  low, high = np.mean(_norms(rn) ** 2), np.mean(_norms(rn + 0.5 * std) ** 2)
  value = float(R.dragan(_quadratic(1.0), real, real, KEY, target=0.0))
  assert low < value < high
  assert float(R.dragan(_quadratic(1.0), real, real, KEY, target=0.0, scale=0.0)) == pytest.approx(low, rel=1e-5)


def test_input_gradients_match_finite_differences_of_a_nonlinear_critic():
  w = np.asarray(jax.random.normal(jax.random.PRNGKey(8), (int(np.prod(SHAPE)), 5)), np.float64)
  v = np.asarray(jax.random.normal(jax.random.PRNGKey(9), (5,)), np.float64)
  critic = lambda x: jnp.tanh(x.reshape(len(x), -1) @ jnp.asarray(w, jnp.float32)) @ jnp.asarray(v, jnp.float32)
  critic64 = lambda x: np.tanh(x.reshape(len(x), -1) @ w) @ v
  real = _images(10, low=-0.3, high=0.3)
  x, h = np.asarray(real, np.float64), 1e-6
  fd = np.zeros_like(x)
  for idx in np.ndindex(*x.shape[1:]):  # central differences, all examples at once
    e = np.zeros_like(x)
    e[(slice(None), *idx)] = h
    fd[(slice(None), *idx)] = (critic64(x + e) - critic64(x - e)) / (2 * h)
  np.testing.assert_allclose(np.asarray(R.input_gradients(critic, real)), fd, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(float(R.r1(critic, real, real, KEY)), 0.5 * np.mean(_norms(fd) ** 2),
                             rtol=1e-4)


# ----------------------------------------------------------------------------- lazy

def test_lazy_penalty_is_scaled_by_k_on_its_steps_and_not_computed_on_the_others():
  calls = []

  def penalty():
    jax.debug.callback(lambda: calls.append(1))
    return jnp.float32(2.0)

  lazy = jax.jit(lambda step: R.lazy(penalty, 0.5, 4, step))
  values = [float(lazy(jnp.int32(t))) for t in range(8)]
  assert values == [4.0, 0, 0, 0, 4.0, 0, 0, 0]  # every * weight * penalty = 4 * 0.5 * 2
  assert len(calls) == 2  # lax.cond ran the penalty only on steps 0 and 4


def _inputs(critic=None, real=None, fake=None, real_logits=None, fake_logits=None, d_params=None,
            step=0, extras=None, key=KEY):
  state = types.SimpleNamespace(step=jnp.int32(step), extras=extras or {})
  return PenaltyInputs(critic, real, fake, real_logits, fake_logits, d_params, state, key)


def test_build_d_penalty_weights_reports_and_sums_each_regularizer():
  a = jax.random.uniform(jax.random.PRNGKey(11), SHAPE, minval=0.5, maxval=2.0)
  critic, real, fake = _quadratic(a), _images(12), _images(13)
  cfg = ml_collections.ConfigDict({"regularizers": {"r1": {"weight": 2.0, "every": 4},
                                                    "r2": {"weight": 0.5}}})
  penalty, techniques = R.build_d_penalty(cfg, "d")
  assert techniques == ()
  r1, r2 = float(R.r1(critic, real, fake, KEY)), float(R.r2(critic, real, fake, KEY))
  for step, r1_term in ((0, 4 * 2.0 * r1), (1, 0.0), (4, 4 * 2.0 * r1)):
    total, metrics = penalty(_inputs(critic, real, fake, step=step))
    np.testing.assert_allclose(float(metrics["reg_r1"]), r1_term, rtol=1e-5)
    np.testing.assert_allclose(float(metrics["reg_r2"]), 0.5 * r2, rtol=1e-5)
    np.testing.assert_allclose(float(total), r1_term + 0.5 * r2, rtol=1e-5)
  assert R.build_d_penalty(ml_collections.ConfigDict({"regularizers": {}}), "d") == (None, ())


# ----------------------------------------------------------------------------- bCR

def _shift(img, dy, dx):
  """out[i, j] = img[i - dy, j - dx], 0 outside: an independent numpy translation."""
  h, w = img.shape[:2]
  out = np.zeros_like(img)
  out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
      img[max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
  return out


def test_consistency_augment_flips_and_translates_each_image_within_range():
  x = np.asarray(jax.random.uniform(jax.random.PRNGKey(14), (64, 16, 16, 1)))
  out = np.asarray(R.consistency_augment(jnp.asarray(x), KEY))  # translate 1/8: up to 2 pixels
  found = []
  for img, aug in zip(x, out):
    matches = [(flip, dy, dx) for flip in (False, True) for dy in range(-2, 3) for dx in range(-2, 3)
               if np.array_equal(_shift(img[:, ::-1] if flip else img, dy, dx), aug)]
    assert len(matches) == 1, matches
    found.append(matches[0])
  flips = {f for f, _, _ in found}
  shifts = {(dy, dx) for _, dy, dx in found}
  assert flips == {False, True} and len(shifts) > 10  # both flips, many of the 25 shifts drawn
  points = jnp.zeros((5, 2))  # non-images: Gaussian jitter with std `noise`
  assert 0 < float(jnp.std(R.consistency_augment(points, KEY, noise=0.1))) < 0.3


def test_bcr_is_zero_for_an_invariant_critic_and_the_hand_value_for_a_linear_one():
  # Content in the centre (translation of <= 2 pixels keeps it in frame), critic = pixel sum.
  x = jnp.zeros((B, 16, 16, 1)).at[:, 4:12, 4:12].set(_images(15)[:, :, :, :1].repeat(2, 1).repeat(2, 2))
  invariant = lambda x: jnp.sum(x, axis=(1, 2, 3))
  assert float(R.bcr(invariant, x, x, KEY)) == pytest.approx(0.0, abs=1e-5)
  w = jax.random.normal(jax.random.PRNGKey(16), (16, 16, 1))
  real, fake = jax.random.uniform(jax.random.PRNGKey(17), (2, B, 16, 16, 1))
  critic = lambda x: jnp.sum(x * w, axis=(1, 2, 3))
  kr, kf = jax.random.split(KEY)  # bcr's documented key use: independent T for real and fake
  c = lambda x: np.asarray(critic(x), np.float64)
  hand = (np.mean((c(real) - c(R.consistency_augment(real, kr))) ** 2)
          + np.mean((c(fake) - c(R.consistency_augment(fake, kf))) ** 2))
  np.testing.assert_allclose(float(R.bcr(critic, real, fake, KEY)), hand, rtol=1e-5)


# ----------------------------------------------------------------------------- stateful

def test_lecam_penalty_and_ema_state_match_a_hand_computation():
  decay, entry = 0.9, {"real": jnp.float32(0.3), "fake": jnp.float32(-0.2), "count": jnp.int32(2)}
  real_logits = jnp.array([1.0, -0.5, 2.0, 0.1])
  fake_logits = jnp.array([-1.0, 0.4, -2.0, 0.3])
  # Hand: anchors = the past steps' EMAs debiased by 1 - decay^2.
  a_r, a_f = 0.3 / (1 - decay ** 2), -0.2 / (1 - decay ** 2)
  rl, fl = np.asarray(real_logits, np.float64), np.asarray(fake_logits, np.float64)
  hand = np.mean(np.maximum(rl - a_f, 0) ** 2) + np.mean(np.maximum(a_r - fl, 0) ** 2)
  inputs = _inputs(real_logits=real_logits, fake_logits=fake_logits, extras={"lecam": entry})
  np.testing.assert_allclose(float(R.lecam(inputs, decay=decay)), hand, rtol=1e-5)

  cfg = ml_collections.ConfigDict({"regularizers": {"lecam": {"weight": 0.5, "decay": decay}}})
  penalty, (technique,) = R.build_d_penalty(cfg, "d")
  total, metrics = penalty(inputs)
  np.testing.assert_allclose(float(total), 0.5 * hand, rtol=1e-5)
  new = technique.update(entry, None, metrics)  # the step passes the D loss's metrics
  ema_r = decay * 0.3 + (1 - decay) * np.mean(rl)
  ema_f = decay * -0.2 + (1 - decay) * np.mean(fl)
  np.testing.assert_allclose([float(new["real"]), float(new["fake"])], [ema_r, ema_f], rtol=1e-6)
  assert int(new["count"]) == 3 and technique.name == "lecam"
  # Before any step the anchors are 0: the penalty is E[relu(D(x))^2] + E[relu(-D(G(z)))^2].
  first = technique.init({})
  zero_anchor = np.mean(np.maximum(rl, 0) ** 2) + np.mean(np.maximum(-fl, 0) ** 2)
  np.testing.assert_allclose(float(R.lecam(inputs._replace(state=types.SimpleNamespace(
      step=jnp.int32(0), extras={"lecam": first})))), zero_anchor, rtol=1e-6)


def test_historical_average_keeps_the_mean_of_past_parameters():
  cfg = ml_collections.ConfigDict({"regularizers": {"historical_average": {"weight": 3.0}}})
  penalty, (technique,) = R.build_d_penalty(cfg, "critic")
  thetas = [{"w": jnp.full((2, 2), v), "b": jnp.array([v, -v])} for v in (1.0, 2.0, 6.0)]
  entry = technique.init({"critic": thetas[0], "other": None})
  for theta in thetas[1:]:
    state = types.SimpleNamespace(players={"critic": types.SimpleNamespace(params=theta)})
    entry = technique.update(entry, state, {})
  mean = {"w": np.full((2, 2), 3.0), "b": np.array([3.0, -3.0])}  # (1 + 2 + 6) / 3
  np.testing.assert_allclose(entry["mean"]["w"], mean["w"], rtol=1e-6)
  np.testing.assert_allclose(entry["mean"]["b"], mean["b"], rtol=1e-6)
  theta = {"w": jnp.array([[0.0, 1.0], [2.0, 3.0]]), "b": jnp.array([1.0, 1.0])}
  hand = np.sum((np.asarray(theta["w"]) - 3.0) ** 2) + np.sum((np.asarray(theta["b"]) - mean["b"]) ** 2)
  total, metrics = penalty(_inputs(d_params=theta, extras={"historical_average": entry}))
  np.testing.assert_allclose(float(metrics["reg_historical_average"]), 3.0 * hand, rtol=1e-6)


# ----------------------------------------------------------------------------- weight clipping

def test_weight_clipping_projects_parameters_after_the_update():
  tx = build_optimizer({"name": "sgd", "learning_rate": 1.0, "weight_clip": 0.01})
  params = {"w": jnp.array([0.5, -0.5, 0.001, 0.0]), "b": jnp.array([0.02])}
  grads = {"w": jnp.array([0.0, 0.0, 0.002, -0.5]), "b": jnp.array([-0.005])}
  updates, _ = tx.update(grads, tx.init(params), params)
  new = optax.apply_updates(params, updates)
  np.testing.assert_allclose(new["w"], [0.01, -0.01, -0.001, 0.01], rtol=1e-6)
  np.testing.assert_allclose(new["b"], [0.01], rtol=1e-6)
  with pytest.raises(ConfigError, match="weight_clip must be a number > 0"):
    build_optimizer({"name": "sgd", "learning_rate": 1.0, "weight_clip": -0.01})


def test_wgan_with_weight_clipping_keeps_critic_parameters_in_range(digits_config):
  cfg = digits_config
  cfg.model.name = "mlp"  # the seed's FCGAN: compiles in a fraction of the DCGAN's time
  cfg.loss = "wasserstein"
  cfg.optimizers.d = ml_collections.ConfigDict(dict(name="rmsprop", learning_rate=5e-5, weight_clip=0.01))
  exp = build_experiment(cfg)
  state = exp.init_state()
  batch = {"image": jax.random.uniform(jax.random.PRNGKey(19), (8, 16, 16, 1), minval=-1, maxval=1),
           "label": jnp.zeros(8, jnp.int32)}
  assert max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(state.players["d"].params)) > 0.01  # Glorot init
  for _ in range(2):
    state, metrics = exp.train_step(state, batch)
  assert np.isfinite(float(metrics["d_loss"]))
  largest = max(float(jnp.max(jnp.abs(p))) for p in jax.tree.leaves(state.players["d"].params))
  assert 0.0099 < largest <= 0.01 * (1 + 1e-6)  # clipped, up to one float rounding


# ----------------------------------------------------------------------------- config errors

@pytest.mark.parametrize("regs, message", [
    ({"r3": {}}, r"Unknown regularizer 'r3'. Valid regularizer names: bcr, dragan, gradient_penalty, "
                 r"historical_average, lecam, r1, r2"),
    ({"r1": {"gamma": 1.0}}, r"config.regularizers.r1 has unknown hyperparameter\(s\) \['gamma'\]; "
                             r"r1 takes \['every', 'weight'\]"),
    ({"lecam": {"decy": 0.9}}, r"lecam takes \['decay', 'every', 'weight'\]"),
    ({"gradient_penalty": {"weight": -1.0}}, r"config.regularizers.gradient_penalty.weight must be >= 0"),
    ({"r1": {"every": 0}}, r"config.regularizers.r1.every must be an integer >= 1"),
    ({"r1": {"every": 2.5}}, r"config.regularizers.r1.every must be an integer >= 1"),
    ({"bcr": {"translate": "big"}}, r"config.regularizers.bcr.translate must be a number"),
])
def test_bad_regularizer_config_fails_before_building(digits_config, regs, message):
  digits_config.regularizers = ml_collections.ConfigDict(regs)
  with pytest.raises(ConfigError, match=message):
    build_experiment(digits_config)


def test_bad_spectral_norm_or_weight_clip_config_fails(digits_config):
  model = digits_config.model
  digits_config.model = ml_collections.ConfigDict(dict(model, spectral_norm="yes"))
  with pytest.raises(ConfigError, match="config.model.spectral_norm must be True or False"):
    build_experiment(digits_config)
  digits_config.model = model
  digits_config.optimizers.d.weight_clip = 0.0
  with pytest.raises(ConfigError, match="weight_clip must be a number > 0"):
    build_experiment(digits_config)


# ----------------------------------------------------------------------------- the real step

ALL = {"gradient_penalty": {}, "r1": {"weight": 1.0, "every": 2}, "r2": {}, "dragan": {},
       "bcr": {}, "lecam": {}, "historical_average": {"weight": 0.01}}
D_LR, G_LR = 4e-4, 1e-4  # two time-scale update rule (Heusel et al. 2017): D faster than G


@pytest.fixture(scope="module")
def trained():
  """Every regularizer at once, spectral norm on, TTUR with SGD: 3 steps of the real jitted step
  on digits. Returns (experiment, [state before, after step 1, 2, 3] on the host, [metrics])."""
  from experiments.configs import dcgan_digits
  cfg = dcgan_digits.get_config()
  cfg.batch_size, cfg.model.dropout_rate, cfg.model.spectral_norm = 8, 0.0, True
  cfg.regularizers = ml_collections.ConfigDict(ALL)
  cfg.optimizers.d = ml_collections.ConfigDict(dict(name="sgd", learning_rate=D_LR))
  cfg.optimizers.g = ml_collections.ConfigDict(dict(name="sgd", learning_rate=G_LR))
  exp = build_experiment(cfg)
  state = exp.init_state()
  states, metrics = [jax.device_get(state)], []
  for t in range(3):
    batch = {"image": jax.random.uniform(jax.random.PRNGKey(t), (8, 16, 16, 1), minval=-1, maxval=1),
             "label": jnp.zeros(8, jnp.int32)}
    state, m = exp.train_step(state, batch)
    states.append(jax.device_get(state))
    metrics.append({k: float(v) for k, v in m.items()})
  return exp, states, metrics


@pytest.mark.slow  # shares the ~1 min compile of the `trained` fixture
def test_every_regularizer_trains_through_the_real_step(trained):
  _, states, metrics = trained
  for t, m in enumerate(metrics):
    assert all(np.isfinite(v) for v in m.values()) and m["nonfinite_steps"] == 0, m
    regs = {k: v for k, v in m.items() if k.startswith("reg_")}
    assert set(regs) == {f"reg_{name}" for name in ALL}
    np.testing.assert_allclose(m["d_loss"], m["d_adv_loss"] + sum(regs.values()), rtol=1e-5)
    assert (m["reg_r1"] > 0) == (t % 2 == 0)  # lazy: every 2 steps
    assert all(v > 0 for k, v in regs.items() if k not in ("reg_r1", "reg_historical_average"))
  assert metrics[0]["reg_historical_average"] == 0.0 < metrics[1]["reg_historical_average"]
  assert int(states[-1].extras["lecam"]["count"]) == 3
  assert int(states[-1].extras["historical_average"]["count"]) == 4
  # LeCam's EMA after one step from 0 is (1 - decay) * the mean real logit the D loss reported.
  np.testing.assert_allclose(float(states[1].extras["lecam"]["real"]),
                             0.01 * metrics[0]["lecam_real_logit"], rtol=1e-5)


@pytest.mark.slow  # shares the ~1 min compile of the `trained` fixture
def test_two_time_scale_learning_rates_reach_each_side(trained):
  _, states, metrics = trained
  before, after = states[0], states[1]
  moved = lambda a, b: float(optax.global_norm(jax.tree.map(lambda x, y: x - y, a, b)))
  # SGD: the update is -lr * grad, so its norm is lr times the reported gradient norm.
  params = lambda s, p: s.players[p].params
  np.testing.assert_allclose(moved(params(after, "d"), params(before, "d")),
                             D_LR * metrics[0]["d_grad_norm"], rtol=1e-3)
  np.testing.assert_allclose(moved(params(after, "g"), params(before, "g")),
                             G_LR * metrics[0]["g_grad_norm"], rtol=1e-3)


@pytest.mark.slow  # shares the ~1 min compile of the `trained` fixture
def test_spectral_norm_vectors_keep_only_the_d_loss_update(trained):
  # The D loss runs one power iteration from u_0 with the initial kernels and keeps it; the G loss
  # (run on the updated D) and the penalties' critic calls also iterate but must drop their copies.
  _, states, _ = trained
  stats0 = states[0].players["d"].collections["d"]["spectral_stats"]
  stats1 = states[1].players["d"].collections["d"]["spectral_stats"]
  params0 = states[0].players["d"].params["d"]
  # The convolutions sit in the trunk submodule: flatten both trees to one level of wrappers.
  flat = lambda tree: {**{k: v for k, v in tree.items() if k != "trunk"},
                       **{f"trunk/{k}": v for k, v in tree.get("trunk", {}).items()}}
  stats0, stats1, params0 = flat(stats0), flat(stats1), flat(params0)
  normalize = lambda x: x / np.sqrt(np.sum(x * x) + 1e-12)
  assert len(stats0) == 3  # two convolutions and the dense layer
  for wrapper, entries in stats0.items():
    (u_name,) = [k for k in entries if k.endswith("/u")]
    layer = u_name.split("/")[0]
    w = np.asarray(params0[wrapper.rsplit("/", 1)[0] + "/" + layer if "/" in wrapper else layer]
                   ["kernel"], np.float64)
    w = w.reshape(-1, w.shape[-1])
    v = normalize(np.asarray(entries[u_name], np.float64) @ w.T)
    u = normalize(v @ w)
    np.testing.assert_allclose(np.asarray(stats1[wrapper][u_name]), u, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(stats1[wrapper][layer + "/kernel/sigma"]), (v @ w @ u.T).item(),
                               rtol=1e-4)
