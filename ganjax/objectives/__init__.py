"""Objectives: how a batch becomes the discriminator's and the generator's losses.

An objective has two methods, both pure and differentiated by the step w.r.t. their first arg:

  d_loss(d_params, state, batch, key) -> (loss, (metrics, new_d_collections))
  g_loss(g_params, state, batch, key) -> (loss, (metrics, new_g_collections))

and a `techniques` tuple (ganjax.train.techniques) of the state its pieces keep in
`state.extras`. `state` is the current GANState (the other side's parameters are read from it),
`batch` a dict of arrays with a leading batch axis, `key` a PRNG key private to this call.
"""

from ganjax.augment import build_augment
from ganjax.objectives.generator_losses import G_OBJECTIVES
from ganjax.objectives.unconditional import (PenaltyInputs, UnconditionalObjective,
                                             apply_module, sample_latent)
from ganjax.registry import Registry
from ganjax.regularizers import build_d_penalty

OBJECTIVES: Registry = Registry("objective")


@OBJECTIVES.register("unconditional")
def _unconditional(models, loss, config, axis_name=None) -> UnconditionalObjective:
  d_penalty, penalty_techniques = build_d_penalty(config)
  augment, augment_techniques = build_augment(config, axis_name)
  return UnconditionalObjective(models.generator, models.discriminator, models.latent_dim, loss,
                                axis_name, augment=augment, d_penalty=d_penalty,
                                techniques=(*penalty_techniques, *augment_techniques),
                                g_objective=G_OBJECTIVES.get(config.get("g_objective", "adversarial")))
