"""The objective's extension points (augmentation, D penalty, stateful techniques) against hand
computations: a regularizer or augmentation plugs in without touching the step or the loop."""

import jax
import jax.numpy as jnp
import numpy as np

from conftest import with_objective
from ganjax.core.keys import sample_latent
from ganjax.core.outputs import logits_of
from ganjax.core.techniques import StatefulTechnique
from ganjax.train.experiment import build_experiment
from ganjax.train.step import phase_key


def _softplus(x):
  return np.logaddexp(0.0, np.asarray(x, np.float64))


def _setup(cfg, **objective_fields):
  cfg.model.dropout_rate = 0.0  # deterministic D for the hand computation
  return with_objective(build_experiment(cfg), **objective_fields)


def test_penalty_and_augment_enter_the_d_loss(digits_config):
  weight = 0.5

  def penalty(inputs):  # a toy penalty that uses the critic: weight * E[critic(real)^2]
    value = weight * jnp.mean(inputs.critic(inputs.real) ** 2)
    return value, {"toy_penalty": value}

  flip = lambda images, key, state: images[:, :, ::-1, :]  # deterministic "augmentation"
  exp = _setup(digits_config, d_penalty=penalty, augment=flip)
  state = exp.init_state()
  g_vars, d_vars = jax.device_get(state.variables("g")), jax.device_get(state.variables("d"))
  kd = phase_key(state, exp.objective.phases[0])  # read before the step donates the state
  real = jax.random.uniform(jax.random.PRNGKey(3), (8, 16, 16, 1), minval=-1, maxval=1)
  _, metrics = exp.train_step(state, {"image": real, "label": jnp.zeros(8, jnp.int32)})

  z = sample_latent(jax.random.split(kd, 4)[0], 8, exp.objective.latent_dim)
  fake, _ = exp.family.networks["g"].apply(g_vars, z, train=True, mutable=["batch_stats"])
  d = lambda x: np.asarray(logits_of(exp.family.networks["d"].apply(d_vars, x[:, :, ::-1, :],
                                                                    train=False)))
  adv = np.mean(_softplus(-d(real))) + np.mean(_softplus(d(fake)))
  toy = weight * np.mean(d(real).astype(np.float64) ** 2)
  np.testing.assert_allclose(float(metrics["d_adv_loss"]), adv, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["toy_penalty"]), toy, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["d_loss"]), adv + toy, rtol=1e-5)


def test_stateful_technique_advances_inside_the_step_and_resets_on_bad_steps(digits_config):
  counter = StatefulTechnique(
      name="sign_sum",
      init=lambda params: {"n": jnp.zeros((), jnp.int32), "sum": jnp.zeros(())},
      update=lambda e, state, m: {"n": e["n"] + 1, "sum": e["sum"] + m["d_real_sign"]})
  exp = _setup(digits_config, techniques=(counter,))
  state = exp.init_state()
  batch = {"image": jnp.zeros((8, 16, 16, 1)), "label": jnp.zeros(8, jnp.int32)}
  signs = []
  for _ in range(3):
    state, metrics = exp.train_step(state, batch)
    signs.append(float(metrics["d_real_sign"]))
  assert int(state.extras["sign_sum"]["n"]) == 3
  np.testing.assert_allclose(float(state.extras["sign_sum"]["sum"]), sum(signs), rtol=1e-6)
  # A non-finite step applies no update, to the technique's state too.
  state, _ = exp.train_step(state, {**batch, "image": jnp.full((8, 16, 16, 1), jnp.nan)})
  assert int(state.extras["sign_sum"]["n"]) == 3 and int(state.step) == 4


def test_generator_update_without_real_equals_the_full_pass(digits_config):
  # non_saturating's G term ignores D(real), so the G loss runs D on the fake rows only; with a
  # deterministic D this must equal the pass over [real; fake] (forced here by a loss that reads
  # real logits with weight 0).
  from ganjax.objectives.losses import LOSSES, generator_reads_real
  base = LOSSES.get("non_saturating")
  reads = lambda r, f: (base(r, f)[0], base(r, f)[1] + 0.0 * jnp.sum(r))
  assert not generator_reads_real(base) and generator_reads_real(reads)
  fast, full = _setup(digits_config.copy_and_resolve_references()), _setup(digits_config, loss=reads)
  state = fast.init_state()
  batch = {"image": jax.random.uniform(jax.random.PRNGKey(3), (8, 16, 16, 1), minval=-1, maxval=1)}
  key = jax.random.PRNGKey(5)
  g_params = state.players["g"].params
  (loss_fast, _), g_fast = jax.value_and_grad(fast.objective.g_loss, has_aux=True)(
      g_params, state, batch, key)
  (loss_full, _), g_full = jax.value_and_grad(full.objective.g_loss, has_aux=True)(
      g_params, state, batch, key)
  np.testing.assert_allclose(loss_fast, loss_full, rtol=1e-6)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7), g_fast, g_full)
