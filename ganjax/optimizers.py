"""Optimizers per side, built from a config block by name.

A config block looks like `{"name": "adam", "learning_rate": 2e-4, "b1": 0.5, "b2": 0.999}`;
only the fields an optimizer takes are read, so one block shape serves every optimizer.
Two time-scale training (TTUR, Heusel et al. 2017) is two blocks with different learning rates,
e.g. d_optimizer.learning_rate=4e-4 and g_optimizer.learning_rate=1e-4.
Options every block takes: `grad_clip_norm` (clip the gradient's global norm first),
`weight_clip` (WGAN's parameter clipping to [-c, c] after the update, Arjovsky et al. 2017) and
`decay_start` / `decay_steps` (the learning rate constant for decay_start updates, then linearly
to 0 over decay_steps more: pix2pix's and CycleGAN's "linear" policy; counted in this optimizer's
updates, which the checkpointed optimizer state holds, so a resumed run continues the schedule),
and `start_step` (the first start_step updates leave the parameters unchanged and the optimizer's
own state untouched, so its moments start fresh at update start_step: a critic that joins a
two-stage game late, SRGAN's after its MSE pretraining; counted in updates, checkpointed alike),
and `skip_zero_grads` (an update whose gradient is exactly zero everywhere leaves the parameters
and the optimizer's state untouched: a phase that switches itself off inside the compiled step by
zeroing its loss, 3D-GAN's adaptive critic, ganjax/families/gan3d/).
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
import jax.numpy as jnp
import optax

from ganjax.errors import ConfigError
from ganjax.registry import Registry

OPTIMIZERS: Registry = Registry("optimizer")

OPTIMIZERS.register("adam", lambda c: optax.adam(c["learning_rate"], b1=c.get("b1", 0.9),
                                                 b2=c.get("b2", 0.999), eps=c.get("eps", 1e-8)))
OPTIMIZERS.register("adamw", lambda c: optax.adamw(c["learning_rate"], b1=c.get("b1", 0.9),
                                                   b2=c.get("b2", 0.999),
                                                   weight_decay=c.get("weight_decay", 1e-4)))
# Keras' RMSprop defaults (rho 0.9, eps 1e-7), as in the seed DCGAN.
OPTIMIZERS.register("rmsprop", lambda c: optax.rmsprop(c["learning_rate"], decay=c.get("decay", 0.9),
                                                       eps=c.get("eps", 1e-7)))
OPTIMIZERS.register("sgd", lambda c: optax.sgd(c["learning_rate"], momentum=c.get("momentum", None)))


def build_optimizer(cfg: Mapping[str, Any]) -> optax.GradientTransformation:
  """Returns the optax transformation a side's config block describes."""
  make = OPTIMIZERS.get(cfg["name"])
  lr = cfg.get("learning_rate", None)
  if lr is None or not float(lr) > 0:
    raise ConfigError(f"optimizer {cfg['name']!r} needs learning_rate > 0, got {lr!r}.")
  tx = make({**dict(cfg), "learning_rate": learning_rate_schedule(cfg)})
  clip = cfg.get("grad_clip_norm", None)
  if clip:
    tx = optax.chain(optax.clip_by_global_norm(clip), tx)
  weight_clip = cfg.get("weight_clip", None)
  if weight_clip is not None:
    if (isinstance(weight_clip, bool) or not isinstance(weight_clip, (int, float))
        or not weight_clip > 0):
      raise ConfigError(f"optimizer weight_clip must be a number > 0 (WGAN uses 0.01) or None, got "
                        f"{weight_clip!r}.")
    tx = optax.chain(tx, clip_params(float(weight_clip)))
  start = cfg.get("start_step", None)
  if start is not None:
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
      raise ConfigError(f"optimizer start_step must be an integer >= 0 or None, got {start!r}.")
    if start:
      tx = optax.transforms.conditionally_mask(tx, lambda count: count >= start)
  if cfg.get("skip_zero_grads", False):
    tx = skip_zero_grads(tx)
  return tx


def skip_zero_grads(inner: optax.GradientTransformation) -> optax.GradientTransformation:
  """`inner`, except that an all-zero gradient gives a zero update and keeps `inner`'s state (Adam's
  moments and count), so the parameters stay bit for bit; decided inside the compiled step."""

  def update(grads, state, params=None):
    live = jnp.any(jnp.stack([jnp.any(g != 0) for g in jax.tree.leaves(grads)]))
    updates, new_state = inner.update(grads, state, params)
    updates = jax.tree.map(lambda u: jnp.where(live, u, jnp.zeros_like(u)), updates)
    return updates, jax.tree.map(lambda n, o: jnp.where(live, n, o), new_state, state)

  return optax.GradientTransformation(inner.init, update)


def learning_rate_schedule(cfg: Mapping[str, Any]):
  """cfg's learning_rate, or with `decay_start` / `decay_steps` an optax schedule: constant, then
  linear decay to 0 (optax.linear_schedule after optax.constant_schedule)."""
  lr = float(cfg["learning_rate"])
  start, steps = cfg.get("decay_start", None), cfg.get("decay_steps", None)
  if start is None and steps is None:
    return lr
  for name, value in (("decay_start", start), ("decay_steps", steps)):
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "decay_start" else 1):
      raise ConfigError(f"optimizer {name} must be an integer (decay_start >= 0, decay_steps >= 1), "
                        f"got {value!r}; set both or neither.")
  return optax.join_schedules([optax.constant_schedule(lr), optax.linear_schedule(lr, 0.0, steps)],
                              [start])


def clip_params(c: float) -> optax.GradientTransformation:
  """Projects the parameters onto [-c, c] after the update (WGAN weight clipping, Arjovsky et al.
  2017, Alg. 1): turns the update u into clip(p + u, -c, c) - p, so `optax.apply_updates` lands on
  the clipped parameters (up to one float rounding) and the training step stays unchanged."""

  def update(updates, state, params):
    if params is None:
      raise ValueError("clip_params needs the parameters: call tx.update(grads, state, params).")
    new = jax.tree.map(lambda u, p: jnp.clip(p + u, -c, c) - p, updates, params)
    return new, state

  return optax.GradientTransformation(lambda params: optax.EmptyState(), update)
