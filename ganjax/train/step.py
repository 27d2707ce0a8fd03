"""The pure minimax step: n critic updates, one generator update, EMA, step += 1."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
import optax

from ganjax.train import guard
from ganjax.train.techniques import technique_metrics, update_extras
from ganjax.train.state import GANState, Side

Metrics = dict[str, jax.Array]


def step_keys(state: GANState) -> tuple[jax.Array, jax.Array]:
  """(critic key, generator key) for this step: `fold_in(root, step)`, so a resumed run draws the
  same numbers as an uninterrupted one. Critic step i uses `fold_in(critic_key, i)` when n > 1."""
  return tuple(jax.random.split(jax.random.fold_in(state.key, state.step)))


def _update(side: Side, tx: optax.GradientTransformation, loss_fn: Callable, state, batch, key,
            prefix: str, axis_name: str | None):
  (_, (metrics, cols)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      side.params, state, batch, key)
  if axis_name is not None:  # pmap mode: each device saw its shard; average to the global gradient
    grads = jax.lax.pmean(grads, axis_name)
  updates, opt_state = tx.update(grads, side.opt_state, side.params)
  params = optax.apply_updates(side.params, updates)
  metrics = dict(metrics, **{f"{prefix}_grad_norm": optax.global_norm(grads)})
  return Side(params=params, collections=cols, opt_state=opt_state), metrics


def ema_decay_at(step: jax.Array, decay: float) -> jax.Array:
  """EMA decay with warm-up, min(decay, (1 + t) / (10 + t)), so early samples are not stale."""
  t = step.astype(jnp.float32)
  return jnp.minimum(decay, (1.0 + t) / (10.0 + t))


def make_train_step(objective: Any, g_tx: optax.GradientTransformation,
                    d_tx: optax.GradientTransformation, *, d_steps: int = 1,
                    ema_decay: float = 0.999,
                    max_bad_steps: int = 20,
                    axis_name: str | None = None,
                    techniques=()) -> Callable[[GANState, Any], tuple[GANState, Metrics]]:
  """Returns `train_step(state, batch) -> (state, metrics)`; pure, to be jitted with donation.

  The critic runs `d_steps` updates inside one `lax.fori_loop` (one compiled call, no Python loop
  of dispatches), all on the same real batch with fresh latents; then the generator updates once
  against the updated critic. Metrics are float32 scalars. A step with a non-finite loss or
  gradient applies no update (see ganjax.train.guard). With `axis_name` the step is the
  per-device body of a `shard_map`: gradients and metrics are pmean-ed over that axis.
  `techniques` (ganjax.train.techniques) advance their `state.extras` entries after the updates.
  """

  def train_step(state: GANState, batch) -> tuple[GANState, Metrics]:
    old = state

    def d_update(state: GANState, key: jax.Array):
      d, metrics = _update(state.d, d_tx, objective.d_loss, state, batch, key, "d", axis_name)
      return state.replace(d=d), metrics

    kd, kg = step_keys(state)
    if d_steps == 1:
      state, d_metrics = d_update(state, kd)
    else:
      _, shapes = jax.eval_shape(d_update, state, kd)
      init = (state, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes))
      state, d_metrics = jax.lax.fori_loop(
          0, d_steps, lambda i, c: d_update(c[0], jax.random.fold_in(kd, i)), init)
    g, g_metrics = _update(state.g, g_tx, objective.g_loss, state, batch, kg, "g", axis_name)
    decay = ema_decay_at(state.step, ema_decay)
    ema = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, state.ema_params, g.params)
    state = state.replace(step=state.step + 1, g=g, ema_params=ema)
    metrics = {k: jnp.asarray(v, jnp.float32) for k, v in {**d_metrics, **g_metrics}.items()}
    if axis_name is not None:
      metrics = jax.lax.pmean(metrics, axis_name)
    state = update_extras(techniques, state, metrics)
    metrics = {**metrics, **technique_metrics(techniques, state.extras)}
    return guard.guarded(old, state, metrics, max_bad_steps)

  return train_step
