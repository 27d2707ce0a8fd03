"""Loss terms on a discriminator's auxiliary heads (the AuxTerm protocol of
ganjax/objectives/adversarial.py): each adds to D's loss and to G's loss.

ClassifierTerm (ACGAN, Odena et al. 2017): D's class head learns the labels of real and fake
images, G learns to make fakes of the requested class:
  D: weight * (CE(class_logits(x), y) + CE(class_logits(G(z, y')), y'))
  G: weight * CE(class_logits(G(z, y')), y')

InfoTerm (InfoGAN, Chen et al. 2016): the variational lower bound on the mutual information
between the codes c and G(z, c), L_I = H(c) + E log Q(c | G(z, c)) <= I(c; G(z, c)), maximised by
G and by Q (a head of D, so in D's loss too):
  both: -(categorical_weight * E log Q(c_cat | x) + continuous_weight * E log Q(c_cont | x))
The entropies H(c) are constants: log K for a uniform K-way code, d * log 2 for d codes uniform
on [-1, 1]; the metrics report the bounds L_I themselves (in nats, at most H(c)).
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp

from ganjax.core.outputs import DOutput
from ganjax.errors import ConfigError


def class_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
  """Mean cross-entropy in nats: logits [B, K] float, labels [B] int in [0, K) -> scalar."""
  logp = jax.nn.log_softmax(logits.astype(jnp.float32))
  return -jnp.mean(jnp.take_along_axis(logp, labels[:, None].astype(jnp.int32), axis=-1))


def categorical_log_q(logits: jax.Array, codes: jax.Array) -> jax.Array:
  """log Q(c | x) per example of a categorical code: logits [B, K], codes [B] int -> [B]."""
  logp = jax.nn.log_softmax(logits.astype(jnp.float32))
  return jnp.take_along_axis(logp, codes[:, None].astype(jnp.int32), axis=-1)[:, 0]


def gaussian_log_q(mean: jax.Array, log_std: jax.Array, codes: jax.Array) -> jax.Array:
  """log N(codes; mean, exp(log_std)^2) per example, summed over the code axis:
  mean, log_std, codes [B, d] -> [B]."""
  z = (codes - mean) * jnp.exp(-log_std)
  return jnp.sum(-0.5 * z ** 2 - log_std - 0.5 * math.log(2.0 * math.pi), axis=-1)


def _need(out: DOutput, field: str, term: str):
  value = getattr(out, field)
  if value is None:
    raise ConfigError(f"the {term} term reads the discriminator's {field!r} head, but this "
                      f"family's discriminator returns none; give it that head.")
  return value


@dataclasses.dataclass(frozen=True)
class ClassifierTerm:
  weight: float = 1.0

  def d(self, real_out: DOutput, fake_out: DOutput, real_labels, codes: dict):
    real_logits = _need(real_out, "class_logits", "ACGAN classifier")
    ce_real = class_cross_entropy(real_logits, real_labels)
    ce_fake = class_cross_entropy(_need(fake_out, "class_logits", "ACGAN classifier"),
                                  codes["label"])
    accuracy = jnp.mean((jnp.argmax(real_logits, -1) == real_labels).astype(jnp.float32))
    return self.weight * (ce_real + ce_fake), {"d_class_real": ce_real, "d_class_fake": ce_fake,
                                               "d_class_accuracy": accuracy}

  def g(self, fake_out: DOutput, codes: dict):
    ce = class_cross_entropy(_need(fake_out, "class_logits", "ACGAN classifier"), codes["label"])
    return self.weight * ce, {"g_class": ce}


@dataclasses.dataclass(frozen=True)
class InfoTerm:
  categorical_weight: float = 1.0
  continuous_weight: float = 0.1

  def bounds(self, q: dict, codes: dict) -> tuple[jax.Array, dict]:
    """(the weighted loss, {"mi_categorical", "mi_continuous"}: the lower bounds L_I in nats)."""
    k = q["categorical"].shape[-1]
    lq_cat = jnp.mean(categorical_log_q(q["categorical"], codes["categorical"]))
    loss, bounds = -self.categorical_weight * lq_cat, {"mi_categorical": math.log(k) + lq_cat}
    if "mean" in q:
      d = q["mean"].shape[-1]
      lq_cont = jnp.mean(gaussian_log_q(q["mean"], q["log_std"], codes["continuous"]))
      loss = loss - self.continuous_weight * lq_cont
      bounds["mi_continuous"] = d * math.log(2.0) + lq_cont
    return loss, bounds

  def d(self, real_out: DOutput, fake_out: DOutput, real_labels, codes: dict):
    loss, bounds = self.bounds(_need(fake_out, "q", "InfoGAN"), codes)
    return loss, {f"d_{k}": v for k, v in bounds.items()}

  def g(self, fake_out: DOutput, codes: dict):
    loss, bounds = self.bounds(_need(fake_out, "q", "InfoGAN"), codes)
    return loss, {f"g_{k}": v for k, v in bounds.items()}
