"""Adversarial losses: `loss(real_logits, fake_logits) -> (d_loss, g_loss)`.

Each loss takes the discriminator's raw outputs (logits / critic values, shape [B]) for a real
and a fake batch and returns two scalars: the loss the discriminator minimises and the loss the
generator minimises. A new loss is one function plus one `LOSSES.register` line:

  @LOSSES.register("my_loss")
  def my_loss(real_logits, fake_logits):
    ...
    return d_loss, g_loss

Keyword options (e.g. `label_smoothing`) come from `config.loss_kwargs` through `get_loss`.
A loss whose generator term ignores the real logits (`generator_reads_real` traces it to find
out) lets the generator update skip D's forward and backward pass on the real batch.
Notation below: r = real logits, f = fake logits, sp = softplus, E = batch mean, D = sigmoid.
"""

from __future__ import annotations

import functools

import jax
import jax.extend.core as jex
import jax.numpy as jnp

from ganjax.registry import Registry

LOSSES: Registry = Registry("loss")
sp = jax.nn.softplus


def get_loss(name: str, **kwargs):
  """The registered loss `name` with its keyword options bound."""
  loss = LOSSES.get(name)
  return functools.partial(loss, **kwargs) if kwargs else loss


def loss_from_config(config):
  """`config.loss` (a LOSSES name) with `config.loss_kwargs` bound: the one place a config's
  adversarial loss is built (the adversarial objective, the families with their own objective)."""
  return get_loss(config.loss, **dict(config.get("loss_kwargs", None) or {}))


def generator_reads_real(loss) -> bool:
  """Whether `loss`'s generator term depends on real_logits: a backward walk over the jaxpr of
  `loss(real, fake)[1]` (conservative: an equation inside a nested call counts as using all of
  that call's inputs)."""
  jaxpr = jax.make_jaxpr(lambda r, f: loss(r, f)[1])(jnp.zeros(2), jnp.zeros(2)).jaxpr
  used = {v for v in jaxpr.outvars if isinstance(v, jex.Var)}
  for eqn in reversed(jaxpr.eqns):
    if any(v in used for v in eqn.outvars):
      used.update(v for v in eqn.invars if isinstance(v, jex.Var))
  return jaxpr.invars[0] in used


@LOSSES.register("non_saturating")
def non_saturating(real_logits, fake_logits, label_smoothing: float = 0.0):
  """Non-saturating GAN loss (Goodfellow et al. 2014, Sec. 3).

  d = -E[(1-s) log D(r) + s log(1 - D(r))] - E[log(1 - D(f))] = E[(1-s) sp(-r) + s sp(r)] + E[sp(f)]
  g = -E[log D(f)] = E[sp(-f)]
  s: one-sided label smoothing of the real targets (Salimans et al. 2016, Sec. 3.4); 0 = none.
  """
  s = label_smoothing
  d_loss = jnp.mean((1.0 - s) * sp(-real_logits) + s * sp(real_logits)) + jnp.mean(sp(fake_logits))
  return d_loss, jnp.mean(sp(-fake_logits))


@LOSSES.register("minimax")
def minimax(real_logits, fake_logits, label_smoothing: float = 0.0):
  """The original saturating minimax game (Goodfellow et al. 2014, Eq. 1).

  d as in non_saturating; g = E[log(1 - D(f))] = -E[sp(f)] (saturates when D rejects fakes).
  """
  d_loss, _ = non_saturating(real_logits, fake_logits, label_smoothing)
  return d_loss, -jnp.mean(sp(fake_logits))


@LOSSES.register("least_squares")
def least_squares(real_logits, fake_logits):
  """LSGAN with targets a=0 (fake), b=1 (real), c=1 (Mao et al. 2017, Eq. 2).

  d = 1/2 E[(r - 1)^2] + 1/2 E[f^2];  g = 1/2 E[(f - 1)^2]
  """
  d_loss = 0.5 * jnp.mean((real_logits - 1.0) ** 2) + 0.5 * jnp.mean(fake_logits ** 2)
  return d_loss, 0.5 * jnp.mean((fake_logits - 1.0) ** 2)


@LOSSES.register("wasserstein")
def wasserstein(real_logits, fake_logits):
  """WGAN critic loss (Arjovsky et al. 2017): d = E[f] - E[r]; g = -E[f].

  Needs a Lipschitz critic: pair it with weight clipping or a gradient penalty.
  """
  return jnp.mean(fake_logits) - jnp.mean(real_logits), -jnp.mean(fake_logits)


@LOSSES.register("hinge")
def hinge(real_logits, fake_logits):
  """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): d = E[relu(1 - r)] + E[relu(1 + f)]; g = -E[f]."""
  d_loss = jnp.mean(jax.nn.relu(1.0 - real_logits)) + jnp.mean(jax.nn.relu(1.0 + fake_logits))
  return d_loss, -jnp.mean(fake_logits)


@LOSSES.register("relativistic_standard")
def relativistic_standard(real_logits, fake_logits):
  """Relativistic standard GAN, RSGAN (Jolicoeur-Martineau 2018, Eq. 8-9), real and fake paired
  in batch order: d = E[sp(f - r)] = -E[log D(r - f)]; g = E[sp(r - f)].

  With softplus this is also the relativistic pairing GAN, RpGAN (Huang et al. 2024, Eq. 2).
  """
  return jnp.mean(sp(fake_logits - real_logits)), jnp.mean(sp(real_logits - fake_logits))


LOSSES.register("relativistic_pairing", relativistic_standard)


@LOSSES.register("relativistic_average")
def relativistic_average(real_logits, fake_logits):
  """Relativistic average GAN, RaSGAN (Jolicoeur-Martineau 2018, Eq. 13-14):

  d = E[sp(-(r - E f))] + E[sp(f - E r)];  g = E[sp(-(f - E r))] + E[sp(r - E f)]
  """
  mr, mf = jnp.mean(real_logits), jnp.mean(fake_logits)
  d_loss = jnp.mean(sp(-(real_logits - mf))) + jnp.mean(sp(fake_logits - mr))
  g_loss = jnp.mean(sp(-(fake_logits - mr))) + jnp.mean(sp(real_logits - mf))
  return d_loss, g_loss
