"""Optimizers per side, built from a config block by name.

A config block looks like `{"name": "adam", "learning_rate": 2e-4, "b1": 0.5, "b2": 0.999}`;
only the fields an optimizer takes are read, so one block shape serves every optimizer.
Two time-scale training (TTUR) is two blocks with different learning rates.
"""

from __future__ import annotations

from typing import Any, Mapping

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
  tx = make(cfg)
  clip = cfg.get("grad_clip_norm", None)
  if clip:
    tx = optax.chain(optax.clip_by_global_norm(clip), tx)
  return tx
