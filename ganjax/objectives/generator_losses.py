"""What the generator minimises, selected by `config.g_objective` (default "adversarial").

A strategy is `g_objective(objective, state, real, fake, key, labels) -> (g_loss, metrics,
fake_out)`: `real` and `fake` [B, ...] are the samples as D sees them (augmented when configured;
`fake` carries the gradient to G), `key` the D call's dropout key, `labels` the (real, fake) class
labels D reads ((None, None) when it reads none), `objective` the AdversarialObjective (its public
`outputs`, `fake_output` and `critic_output`, and its adversarial `loss`). fake_out is D's DOutput
on the fake batch, which the objective's auxiliary terms (ACGAN, InfoGAN) read.

  adversarial:      the adversarial loss's generator term on D(real), D(fake); D sees only the
                    fake batch when that term ignores D(real) (ganjax.objectives.losses.generator_reads_real),
                    which saves D's forward and input-gradient pass over the real rows.
  feature_matching: Salimans et al. 2016, Sec. 3.1: || E_x f(x) - E_z f(G(z)) ||_2^2 for D's
                    trunk features f (DOutput.features, ganjax/core/outputs.py).
                    Under shard_map the expectations are over the per-device batch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.state import GANState
from ganjax.errors import ConfigError
from ganjax.objectives.losses import generator_reads_real
from ganjax.registry import Registry

G_OBJECTIVES: Registry = Registry("generator objective")


@G_OBJECTIVES.register("adversarial")
def adversarial(objective, state: GANState, real, fake, key, labels=(None, None)):
  if generator_reads_real(objective.loss):
    out_r, out_f, _ = objective.outputs(None, state, real, fake, key, *labels)
    real_logits = out_r.logits
  else:
    out_f = objective.fake_output(None, state, fake, key, labels[1])
    real_logits = jnp.zeros_like(out_f.logits)  # unread: the generator term ignores it
  _, g_loss = objective.loss(real_logits, out_f.logits)
  return g_loss, {}, out_f


def feature_matching_loss(real_features, fake_features):
  """|| mean_i real_features[i] - mean_i fake_features[i] ||^2 for features [B, F]."""
  return jnp.sum((jnp.mean(real_features, 0) - jnp.mean(fake_features, 0)) ** 2)


@G_OBJECTIVES.register("feature_matching")
def feature_matching(objective, state: GANState, real, fake, key, labels=(None, None)):
  # One D pass on [real; fake] (features come before any cross-example layer).
  both = None if labels[0] is None else jnp.concatenate(labels)
  out, _ = objective.critic_output(None, state, jnp.concatenate([real, fake]), key, both)
  if out.features is None:
    raise ConfigError("g_objective 'feature_matching' needs a discriminator that returns "
                      "DOutput(features=...); this family's does not.")
  features = out.features.astype(jnp.float32)
  loss = feature_matching_loss(features[: real.shape[0]], features[real.shape[0]:])
  fake_out = jax.tree.map(lambda a: a[real.shape[0]:], out)
  return loss, {"g_feature_matching": loss}, fake_out
