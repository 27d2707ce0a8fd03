"""The two-player adversarial objective: a critic network against a generator fed by a prior.

Families with a generator G(codes) and a critic D(x) (MLP GAN, DCGAN, and the conditional and
latent-code families built on them: cGAN, ACGAN, projection, InfoGAN) use it with their own
network and player names. Phases:

  Phase("d", critic player, d_loss, repeat=d_steps)   then   Phase("g", generator player, g_loss)

Conditioning: the prior (ganjax/objectives/priors.py) draws the generator's codes, a class label
among them for conditional families; with `critic_reads_label` D is called as D(x, labels) (real
labels from the batch's `label_field`, fake ones from the codes). Auxiliary heads (ACGAN's
classifier, InfoGAN's Q) add `aux` terms that read D's structured output (DOutput) to both losses.

Keys: each loss splits its phase key into (latent, dropout, augmentation, penalty) keys. Under
shard_map (`axis_name` set) dropout and penalty keys are folded with the device index
(ganjax/core/keys.py): masks are independent per device, not bit-equal to jit mode's.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, NamedTuple, Protocol

import jax
import jax.numpy as jnp

from ganjax.core.keys import device_key
from ganjax.core.networks import Networks
from ganjax.core.outputs import DOutput, as_output
from ganjax.core.phases import Phase
from ganjax.core.state import GANState, with_collections
from ganjax.nn.minibatch import mixes_examples
from ganjax.objectives.generator_losses import adversarial
from ganjax.objectives.samplers import LatentSampler


class PenaltyInputs(NamedTuple):
  """What a discriminator penalty (ganjax/objectives/regularizers.py) may read, built inside `d_loss`.

  critic: samples [B, ...] -> logits, with the critic parameters being differentiated closed over
  (train mode, collection updates discarded), so input gradients are one `jax.grad` away.
  real, fake: the samples D saw this step (after augmentation; fake has no gradient to G).
  real_logits, fake_logits: float32, D's outputs on them. d_params: the critic player's
  {network: params}. state: the GANState before this update. key: private PRNG key.
  """
  critic: Callable[[jax.Array], jax.Array]
  real: jax.Array
  fake: jax.Array
  real_logits: jax.Array
  fake_logits: jax.Array
  d_params: Any
  state: GANState
  key: jax.Array


# augment(samples [B, ...], key, state) -> samples of the same shape; applied to real and fake alike.
Augment = Callable[[jax.Array, jax.Array, GANState], jax.Array]
# d_penalty(PenaltyInputs) -> (scalar added to the D loss, dict of float32 scalar metrics).
Penalty = Callable[[PenaltyInputs], tuple[jax.Array, dict]]
# g_penalty(generator player's {network: params}) -> (scalar added to the G loss, metrics), e.g.
# BigGAN's orthogonal regularization of G's kernels.
GPenalty = Callable[[Any], tuple[jax.Array, dict]]


class AuxTerm(Protocol):
  """A loss term on an auxiliary head of D (ACGAN's classifier, InfoGAN's Q head).

  d(real_out, fake_out, real_labels, codes) -> (scalar added to D's loss, metrics)
  g(fake_out, codes) -> (scalar added to G's loss, metrics)
  real_out / fake_out: DOutput of D on the real / fake batch; real_labels: [B] int32 or None;
  codes: the prior's codes of the fake batch (ganjax/objectives/priors.py).
  """
  def d(self, real_out: DOutput, fake_out: DOutput, real_labels, codes: dict): ...
  def g(self, fake_out: DOutput, codes: dict): ...


@dataclasses.dataclass(frozen=True)
class AdversarialObjective(LatentSampler):
  """nets: the family's Networks; generator: *prior.generator_args(codes) -> samples [B, ...];
  critic: samples (and labels with `critic_reads_label`) -> DOutput (or logits); loss: a
  ganjax.objectives.losses entry on the logits; prior: draws the codes (ganjax/objectives/priors.py).

  field: the batch field holding real samples ("image", "points"); label_field: the one holding
  real class labels. augment: optional differentiable augmentation of everything D sees, in the D
  and the G loss (DiffAugment, ADA). d_penalty: optional sum of regularizers added to the D loss.
  aux: AuxTerm loss terms on D's auxiliary heads. techniques: the StatefulTechnique those pieces
  keep in `state.extras`. g_objective: what G minimises, a ganjax.objectives.generator_losses
  strategy. g_penalty: optional weight penalty on G's parameters added to G's loss.

  Sampling (`sample(state, key, num, *, ema, cond, fix, truncation)`): LatentSampler
  (ganjax/objectives/samplers.py); cond {"label": [num]} for conditional families.
  Truncation (`sample(..., truncation=psi)`): forwarded to the generator as its `truncation`
  keyword; only generators whose `__call__` takes one support it (`supports_truncation`).
  """
  nets: Networks
  loss: Callable
  prior: Any
  generator: str
  critic: str
  generator_player: str
  critic_player: str
  field: str = "image"
  label_field: str = "label"
  critic_reads_label: bool = False
  aux: tuple = ()
  d_steps: int = 1
  axis_name: str | None = None
  augment: Augment | None = None
  d_penalty: Penalty | None = None
  techniques: tuple = ()
  g_objective: Callable = adversarial
  g_penalty: GPenalty | None = None
  progress_metrics = ("d_loss", "g_loss")  # shown on the training progress bar

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("d", self.critic_player, self.d_loss, repeat=self.d_steps),
            Phase("g", self.generator_player, self.g_loss))

  @property
  def latent_dim(self) -> int:
    return self.prior.latent_dim

  @property
  def num_classes(self) -> int:
    """Classes the generator is conditioned on (0: unconditional)."""
    return self.prior.categorical.get("label", 0)

  @property
  def reads_labels(self) -> bool:
    """Whether the losses read the batch's real labels (conditional D, ACGAN's classifier)."""
    return self.critic_reads_label or bool(self.aux and self.num_classes)

  # ---------------------------------------------------------------- pieces strategies call

  def draw(self, key: jax.Array, batch_size: int) -> dict:
    """The prior's codes for a training batch (global over devices under shard_map)."""
    return self.prior.sample(key, batch_size, self.axis_name)

  def fake(self, g_params, state: GANState, codes: dict):
    """(G(codes) [B, ...] in train mode, G's updated collections)."""
    params = None if g_params is None else g_params[self.generator]
    return self.nets.apply(state, self.generator, *self.prior.generator_args(codes),
                           params=params, train=True)

  def critic_output(self, d_params, state: GANState, x, key, labels=None, *,
                    per_device_key: bool = True):
    """(D's DOutput on `x` (with `labels` when D reads them) in train mode, D's collections)."""
    key = device_key(key, self.axis_name) if per_device_key else key
    params = None if d_params is None else d_params[self.critic]
    args = (x, labels) if self.critic_reads_label else (x,)
    out, cols = self.nets.apply(state, self.critic, *args, params=params, train=True, key=key)
    return as_output(out), cols

  def fake_output(self, d_params, state: GANState, fake, key, labels=None) -> DOutput:
    """D's output on the fake batch alone (collection updates dropped)."""
    return self.critic_output(d_params, state, fake, key, labels)[0]

  def outputs(self, d_params, state: GANState, real, fake, key, real_labels=None,
              fake_labels=None):
    """(D's DOutput on real, on fake, D's updated collections)."""
    if mixes_examples(self.nets[self.critic]):
      # Minibatch layers (ganjax/nn/minibatch.py) must see real and fake as separate batches.
      kr, kf = jax.random.split(device_key(key, self.axis_name))
      out_r, cols = self.critic_output(d_params, state, real, kr, real_labels, per_device_key=False)
      state = with_collections(state, self.critic_player, self.critic, cols)
      out_f, cols = self.critic_output(d_params, state, fake, kf, fake_labels, per_device_key=False)
      return out_r, out_f, cols
    # Real and fake through D in one call: one larger matmul beats two dispatches.
    n = real.shape[0]
    labels = None if real_labels is None else jnp.concatenate([real_labels, fake_labels])
    out, cols = self.critic_output(d_params, state, jnp.concatenate([real, fake]), key, labels)
    return jax.tree.map(lambda a: a[:n], out), jax.tree.map(lambda a: a[n:], out), cols

  def augmented(self, state: GANState, real, fake, key):
    """(real, fake) as D sees them: augmented with independent randomness when configured."""
    if self.augment is None:
      return real, fake
    kr, kf = jax.random.split(key)
    return self.augment(real, kr, state), self.augment(fake, kf, state)

  def _labels(self, batch, codes):
    """(real labels, fake labels) when the losses read them, else (None, None)."""
    if not self.reads_labels:
      return None, None
    return batch[self.label_field].astype(jnp.int32), self.prior.labels(codes)

  # ---------------------------------------------------------------- phase losses

  def d_loss(self, d_params, state: GANState, batch, key):
    kz, kdrop, kaug, kpen = jax.random.split(key, 4)
    real = batch[self.field]
    codes = self.draw(kz, real.shape[0])
    real_y, fake_y = self._labels(batch, codes)
    fake, _ = self.fake(None, state, codes)  # G's BN updates are kept in g_loss
    real, fake = self.augmented(state, real, jax.lax.stop_gradient(fake), kaug)
    out_r, out_f, d_cols = self.outputs(d_params, state, real, fake, kdrop, real_y, fake_y)
    real_logits, fake_logits = out_r.logits, out_f.logits
    d_loss, _ = self.loss(real_logits, fake_logits)
    metrics = {"d_loss": d_loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
               # sign of D(real): ADA's overfitting heuristic r_t reads this.
               "d_real_sign": jnp.mean(jnp.sign(real_logits))}
    extra = {}
    for term in self.aux:
      term_loss, term_metrics = term.d(out_r, out_f, real_y, codes)
      d_loss, extra = d_loss + term_loss, {**extra, **term_metrics}
    if self.d_penalty is not None:
      kdrop, kpen = device_key(kdrop, self.axis_name), device_key(kpen, self.axis_name)
      # Penalties see D as a function of the samples alone, at the real batch's labels.
      critic = lambda x: self.critic_output(d_params, state, x, kdrop, real_y,
                                            per_device_key=False)[0].logits
      penalty, penalty_metrics = self.d_penalty(PenaltyInputs(
          critic, real, fake, real_logits, fake_logits, d_params, state, kpen))
      extra = {**extra, **penalty_metrics}
      d_loss = d_loss + penalty
    if self.aux or self.d_penalty is not None:
      metrics = {**metrics, **extra, "d_adv_loss": metrics["d_loss"], "d_loss": d_loss}
    return d_loss, (metrics, {self.critic: d_cols})

  def g_loss(self, g_params, state: GANState, batch, key):
    kz, kdrop, kaug, _ = jax.random.split(key, 4)
    real = batch[self.field]
    codes = self.draw(kz, real.shape[0])
    real_y, fake_y = self._labels(batch, codes)
    fake, g_cols = self.fake(g_params, state, codes)
    real, fake = self.augmented(state, real, fake, kaug)
    g_loss, metrics, fake_out = self.g_objective(self, state, real, fake, kdrop, (real_y, fake_y))
    metrics = {"g_loss": g_loss, **metrics}
    for term in self.aux:
      term_loss, term_metrics = term.g(fake_out, codes)
      g_loss, metrics = g_loss + term_loss, {**metrics, **term_metrics}
    if self.g_penalty is not None:
      penalty, penalty_metrics = self.g_penalty(g_params)
      g_loss, metrics = g_loss + penalty, {**metrics, **penalty_metrics}
    if self.aux or self.g_penalty is not None:
      metrics = {**metrics, "g_adv_loss": metrics["g_loss"], "g_loss": g_loss}
    return g_loss, (metrics, {self.generator: g_cols})

  # ---------------------------------------------------------------- sampling and inspection

  def critic_eval(self, state: GANState, x: jax.Array, labels=None) -> DOutput:
    """D's DOutput on samples x [B, ...] in eval mode (InfoGAN's code predictions read its q)."""
    args = (x, labels) if self.critic_reads_label else (x,)
    return as_output(self.nets.apply(state, self.critic, *args, train=False)[0])

  @property
  def supports_truncation(self) -> bool:
    """Whether the generator takes a `truncation` keyword (psi of the truncation trick)."""
    return takes_truncation(self.nets[self.generator])

  def generate(self, state: GANState, codes: dict, *, ema: bool = True,
               truncation=None) -> jax.Array:
    """G(codes) [n, ...] float32 in eval mode (EMA weights with `ema`); truncation: psi (None:
    off), a float or traced scalar, for generators that take it."""
    kwargs = {} if truncation is None else {"truncation": truncation}
    return self.nets.apply(state, self.generator, *self.prior.generator_args(codes), train=False,
                           ema=ema, **kwargs)[0]


def takes_truncation(module) -> bool:
  """Whether a flax module's `__call__` has a `truncation` parameter."""
  return "truncation" in inspect.signature(type(module).__call__).parameters
