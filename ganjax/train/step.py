"""The pure step: a family's phases in order, EMA, techniques, non-finite guard, step += 1."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import optax

from ganjax.core import guard
from ganjax.core.phases import Phase
from ganjax.core.state import GANState, update_ema
from ganjax.core.techniques import technique_metrics, update_extras

Metrics = dict[str, jax.Array]


def phase_key(state: GANState, phase: Phase) -> jax.Array:
  """This step's key for `phase`: fold_in(fold_in(root, step), purpose), so a resumed run draws
  the numbers an uninterrupted one does. Repeat i of a phase uses fold_in(phase key, i)."""
  return jax.random.fold_in(jax.random.fold_in(state.key, state.step), phase.purpose)


def _update(state: GANState, phase: Phase, tx: optax.GradientTransformation, batch, key,
            axis_name: str | None) -> tuple[GANState, Metrics]:
  player = state.players[phase.player]
  (_, (metrics, cols)), grads = jax.value_and_grad(phase.loss, has_aux=True)(
      player.params, state, batch, key)
  if axis_name is not None:  # pmap mode: each device saw its shard; average to the global gradient
    grads = jax.lax.pmean(grads, axis_name)
  updates, opt_state = tx.update(grads, player.opt_state, player.params)
  player = player.replace(params=optax.apply_updates(player.params, updates),
                          collections={**player.collections, **cols}, opt_state=opt_state)
  metrics = {**metrics, f"{phase.name}_grad_norm": optax.global_norm(grads)}
  metrics = {k: jnp.asarray(v, jnp.float32) for k, v in metrics.items()}
  return state.replace(players={**state.players, phase.player: player}), metrics


def run_phase(state: GANState, phase: Phase, tx, batch, axis_name=None) -> tuple[GANState, Metrics]:
  """One phase on this step: `repeat` updates in one `lax.fori_loop`, under a `lax.cond` on
  step % every (the skipped branch computes nothing and reports zeros)."""
  key = phase_key(state, phase)
  once = lambda s, k: _update(s, phase, tx, batch, k, axis_name)

  def run(s):
    if phase.repeat == 1:
      return once(s, key)
    _, shapes = jax.eval_shape(once, s, key)
    init = (s, jax.tree.map(lambda x: jnp.zeros(x.shape, x.dtype), shapes))
    return jax.lax.fori_loop(0, phase.repeat,
                             lambda i, c: once(c[0], jax.random.fold_in(key, i)), init)

  if phase.every == 1:
    return run(state)
  _, shapes = jax.eval_shape(run, state)
  skip = lambda s: (s, jax.tree.map(lambda x: jnp.zeros(x.shape, x.dtype), shapes))
  return jax.lax.cond(state.step % phase.every == 0, run, skip, state)


def make_train_step(phases: Sequence[Phase], optimizers: Mapping[str, optax.GradientTransformation],
                    *, ema_decay: float = 0.999, max_bad_steps: int = 20,
                    axis_name: str | None = None,
                    techniques=()) -> Callable[[GANState, Any], tuple[GANState, Metrics]]:
  """Returns `train_step(state, batch) -> (state, metrics)`; pure, to be jitted with donation.

  Each phase sees the state the phases before it left (the generator trains against the
  just-updated critic). Metrics are float32 scalars. A step with a non-finite loss or gradient
  applies no update (ganjax/core/guard.py). With `axis_name` the step is the per-device body of a
  `shard_map`: gradients and metrics are pmean-ed over that axis. `techniques` advance their
  `state.extras` entries after the phases.
  """

  def train_step(state: GANState, batch) -> tuple[GANState, Metrics]:
    old = state
    metrics: Metrics = {}
    for phase in phases:
      state, m = run_phase(state, phase, optimizers[phase.player], batch, axis_name)
      metrics.update(m)
    state = update_ema(state, ema_decay).replace(step=state.step + 1)
    if axis_name is not None:
      metrics = jax.lax.pmean(metrics, axis_name)
    state = update_extras(techniques, state, metrics)
    metrics = {**metrics, **technique_metrics(techniques, state.extras)}
    return guard.guarded(old, state, metrics, max_bad_steps)

  return train_step
