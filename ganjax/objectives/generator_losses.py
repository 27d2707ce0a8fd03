"""What the generator minimises, selected by `config.g_objective` (default "adversarial").

A strategy is `g_objective(objective, state, real, fake, key) -> (g_loss, metrics)`: `real` and
`fake` [B, ...] are the samples as D sees them (augmented when configured; `fake` carries the
gradient to G), `key` the D call's dropout key, `objective` the UnconditionalObjective (its
discriminator, adversarial loss and D-logits helper).

  adversarial:      the adversarial loss's generator term on D(real), D(fake); D sees only the
                    fake batch when that term ignores D(real) (ganjax.losses.generator_reads_real),
                    which saves D's forward and input-gradient pass over the real rows.
  feature_matching: Salimans et al. 2016, Sec. 3.1: || E_x f(x) - E_z f(G(z)) ||_2^2 for D's
                    intermediate features f (the flattened last hidden layer, which the
                    discriminators sow into the "intermediates" collection as "features").
                    Under shard_map the expectations are over the per-device batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.losses import generator_reads_real
from ganjax.registry import Registry
from ganjax.train.state import GANState, Side

G_OBJECTIVES: Registry = Registry("generator objective")


def discriminator_features(module, side: Side, params, x: jax.Array, key: jax.Array) -> jax.Array:
  """D's sown intermediate features of `x` in train mode: [B, F] float32 (collection updates
  such as spectral-norm vectors are discarded: D does not train in the G loss)."""
  _, variables = module.apply(side.variables(params), x, train=True, rngs={"dropout": key},
                              mutable=[*side.collections, "intermediates"])
  return variables["intermediates"]["features"][0].astype(jnp.float32)


@G_OBJECTIVES.register("adversarial")
def adversarial(objective, state: GANState, real, fake, key):
  if generator_reads_real(objective.loss):
    real_logits, fake_logits, _ = objective._logits(state.d.params, state, real, fake, key)
  else:
    fake_logits = objective._fake_logits(state.d.params, state, fake, key)
    real_logits = jnp.zeros_like(fake_logits)  # unread: the generator term ignores it
  _, g_loss = objective.loss(real_logits, fake_logits)
  return g_loss, {}


def feature_matching_loss(real_features: jax.Array, fake_features: jax.Array) -> jax.Array:
  """|| mean_i real_features[i] - mean_i fake_features[i] ||^2 for features [B, F]."""
  return jnp.sum((jnp.mean(real_features, 0) - jnp.mean(fake_features, 0)) ** 2)


@G_OBJECTIVES.register("feature_matching")
def feature_matching(objective, state: GANState, real, fake, key):
  key = objective._device_key(key)  # independent dropout masks per device, as in _logits
  # One D pass on [real; fake] (features are sown before any cross-example layer).
  features = discriminator_features(objective.discriminator, state.d, state.d.params,
                                    jnp.concatenate([real, fake]), key)
  loss = feature_matching_loss(features[: real.shape[0]], features[real.shape[0]:])
  return loss, {"g_feature_matching": loss}
