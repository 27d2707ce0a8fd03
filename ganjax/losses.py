"""Adversarial losses: `loss(real_logits, fake_logits) -> (d_loss, g_loss)`.

Each loss takes the discriminator's raw logits (any shape, typically [B] or [B, 1]) for a real
and a fake batch and returns two scalars: the loss the discriminator minimises and the loss the
generator minimises. A new loss is one function plus one `LOSSES.register` line:

  @LOSSES.register("my_loss")
  def my_loss(real_logits, fake_logits):
    ...
    return d_loss, g_loss
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.registry import Registry

LOSSES: Registry = Registry("loss")


@LOSSES.register("non_saturating")
def non_saturating(real_logits: jax.Array, fake_logits: jax.Array):
  """Non-saturating GAN loss (Goodfellow et al. 2014, Sec. 3).

  d_loss = -E[log D(x)] - E[log(1 - D(G(z)))] = E[softplus(-r)] + E[softplus(f)]
  g_loss = -E[log D(G(z))]                    = E[softplus(-f)]
  with D = sigmoid(logits); softplus keeps it stable for large |logits|.
  """
  d_loss = jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))
  g_loss = jnp.mean(jax.nn.softplus(-fake_logits))
  return d_loss, g_loss
