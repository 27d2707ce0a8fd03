"""Discriminator regularizers: penalties added to the D loss, selected by name from the config.

A regularizer is a small pure function returning an unweighted float32 scalar. Most read only the
critic and the samples:

  reg(critic, real, fake, key, **hparams) -> scalar

critic: images [B, ...] -> logits [B] with the D parameters closed over (input gradients are one
`jax.grad` away); real, fake: [B, ...] the samples D saw this step (fake carries no gradient to G);
key: a PRNG key private to this regularizer and step. One that needs more (the logits, the D
parameters, state kept across steps) is registered with `on_inputs=True` and takes the objective's
whole `PenaltyInputs` (ganjax/objectives/adversarial.py) instead of the first four arguments. One
that keeps state across steps names a `technique` factory (ganjax/core/techniques.py), called as
`technique(critic_player, **hparams)`; its entry lives in `state.extras[<technique name>]`.

Config: `config.regularizers` maps registered names to hyperparameters, several at once, e.g.
  {"gradient_penalty": {"weight": 10.0}}
  {"r1": {"weight": 1.0, "every": 16}, "lecam": {"weight": 0.3, "decay": 0.99}}
Every regularizer takes `weight` (>= 0, default: the value its paper uses) and `every` (lazy
regularization, Karras et al. 2020 "Analyzing and Improving the Image Quality of StyleGAN", Sec. 3.1:
computed only on steps with step % every == 0, there with weight * every; on the other steps
`lax.cond` skips the computation). Its other hyperparameters are the keyword-only arguments of its
function (and of its technique factory). Each regularizer's weighted contribution is reported as the
metric "reg_<name>" (0 on skipped steps), so d_loss = d_adv_loss + sum of the reg_* metrics.

Add one in one function:

  @register("my_reg", default_weight=1.0)
  def my_reg(critic, real, fake, key, *, scale: float = 1.0):
    return scale * jnp.mean(critic(real) ** 2)
  # config.regularizers = {"my_reg": {"weight": 0.1, "scale": 2.0}}
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable

import jax
import jax.numpy as jnp

from ganjax.errors import ConfigError
from ganjax.registry import Registry
from ganjax.core.techniques import StatefulTechnique

COMMON_HPARAMS = ("weight", "every")


@dataclasses.dataclass(frozen=True)
class Regularizer:
  """A registered regularizer. fn: the unweighted penalty; default_weight: its paper's weight;
  on_inputs: fn takes (PenaltyInputs, **hparams) instead of (critic, real, fake, key, **hparams);
  technique: (critic_player, **hparams) -> StatefulTechnique for state kept across steps; report: PenaltyInputs ->
  dict of scalar metrics the technique's update reads (computed on every step, lazy or not)."""
  fn: Callable[..., jax.Array]
  default_weight: float = 1.0
  on_inputs: bool = False
  technique: Callable[..., StatefulTechnique] | None = None
  report: Callable[[Any], dict] | None = None

  def hparams(self) -> dict[str, Any]:
    """Its own hyperparameters (beyond weight and every) and their defaults."""
    fns = [self.fn] + ([self.technique] if self.technique else [])
    return {n: p.default for f in fns for n, p in inspect.signature(f).parameters.items()
            if p.kind == p.KEYWORD_ONLY}

  def penalty(self, inputs, hparams: dict) -> jax.Array:
    own = _select(self.fn, hparams)
    if self.on_inputs:
      return self.fn(inputs, **own)
    return self.fn(inputs.critic, inputs.real, inputs.fake, inputs.key, **own)


REGULARIZERS: Registry = Registry("regularizer")


def register(name: str, *, default_weight: float = 1.0, on_inputs: bool = False,
             technique=None, report=None):
  """Decorator: registers `fn` as regularizer `name` (see the module docstring); returns fn."""
  def add(fn):
    REGULARIZERS.register(name, Regularizer(fn, default_weight, on_inputs, technique, report))
    return fn
  return add


def _select(fn, hparams: dict) -> dict:
  names = inspect.signature(fn).parameters
  return {k: v for k, v in hparams.items() if k in names}


# ----------------------------------------------------------------------------- input gradients

def input_gradients(critic, x: jax.Array) -> jax.Array:
  """grad_x of sum_i critic(x)_i: [B, ...] like x. This is each example's own input gradient when
  D treats examples independently; with cross-example layers (minibatch stddev) it is the batch-sum
  gradient the reference implementations (WGAN-GP, StyleGAN2) use too."""
  return jax.grad(lambda x: jnp.sum(critic(x)))(x)


def _squared_norms(g: jax.Array) -> jax.Array:
  return jnp.sum(g.reshape(g.shape[0], -1).astype(jnp.float32) ** 2, axis=1)


def _norm_penalty(critic, x: jax.Array, target: float) -> jax.Array:
  """E[(||grad_x D(x)||_2 - target)^2]; the 1e-12 keeps the norm differentiable at 0."""
  norms = jnp.sqrt(_squared_norms(input_gradients(critic, x)) + 1e-12)
  return jnp.mean((norms - target) ** 2)


def _per_example(key: jax.Array, x: jax.Array) -> jax.Array:
  """U[0, 1) per example, shaped [B, 1, ...] to broadcast against x."""
  return jax.random.uniform(key, (x.shape[0],) + (1,) * (x.ndim - 1), x.dtype)


# ----------------------------------------------------------------------------- gradient penalties

@register("gradient_penalty", default_weight=10.0)
def gradient_penalty(critic, real, fake, key, *, target: float = 1.0) -> jax.Array:
  """WGAN-GP (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", Alg. 1):
  E[(||grad D(x_hat)||_2 - target)^2], x_hat = e * real + (1 - e) * fake, e ~ U[0, 1) per example.
  Paper: weight (lambda) 10, target 1."""
  e = _per_example(key, real)
  return _norm_penalty(critic, e * real + (1.0 - e) * fake, target)


@register("r1", default_weight=10.0)
def r1(critic, real, fake, key) -> jax.Array:
  """R1 (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", Eq. 9):
  1/2 E_real[||grad D(x)||^2], so weight = the paper's gamma (10 in its main experiments)."""
  del fake, key
  return 0.5 * jnp.mean(_squared_norms(input_gradients(critic, real)))


@register("r2", default_weight=10.0)
def r2(critic, real, fake, key) -> jax.Array:
  """R2 (Mescheder et al. 2018, Eq. 10): 1/2 E_fake[||grad D(x)||^2]; weight = gamma."""
  del real, key
  return 0.5 * jnp.mean(_squared_norms(input_gradients(critic, fake)))


@register("dragan", default_weight=10.0)
def dragan(critic, real, fake, key, *, scale: float = 0.5, target: float = 1.0) -> jax.Array:
  """DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs", Eq. 4), as the authors'
  code draws the points: E[(||grad D(x_p)||_2 - target)^2] with x_p = x + a * scale * std(x) * u,
  x real, u ~ U[0, 1)^shape, a ~ U[0, 1) per example, std over the whole batch.
  Paper: weight (lambda) 10, target (k) 1, scale 0.5."""
  del fake
  ku, ka = jax.random.split(key)
  delta = scale * jnp.std(real) * jax.random.uniform(ku, real.shape, real.dtype)
  return _norm_penalty(critic, real + _per_example(ka, real) * delta, target)


# ----------------------------------------------------------------------------- consistency

def consistency_augment(x: jax.Array, key: jax.Array, *, translate: float = 0.125,
                        noise: float = 0.05) -> jax.Array:
  """bCR's semantics-preserving transformation T, independent per example.

  images [B, H, W, C]: a horizontal flip with probability 1/2, then a translation by integers
  (dy, dx) ~ U{-sy..sy} x U{-sx..sx}, sy = round(translate * H), sx = round(translate * W), the
  uncovered border filled with 0 (mid-grey in [-1, 1]); out[i, j] = flipped[i - dy, j - dx].
  This is the "flip + translate" Zhao et al. use on CIFAR. Other inputs (e.g. 2-D toy points
  [B, 2]): x + noise * N(0, I).
  """
  if x.ndim != 4:
    return x + noise * jax.random.normal(key, x.shape, x.dtype)
  b, h, w, c = x.shape
  kf, ky, kx = jax.random.split(key, 3)
  x = jnp.where(jax.random.bernoulli(kf, 0.5, (b, 1, 1, 1)), x[:, :, ::-1], x)
  sy, sx = round(translate * h), round(translate * w)
  dy = jax.random.randint(ky, (b,), -sy, sy + 1)
  dx = jax.random.randint(kx, (b,), -sx, sx + 1)
  padded = jnp.pad(x, ((0, 0), (sy, sy), (sx, sx), (0, 0)))
  crop = lambda img, oy, ox: jax.lax.dynamic_slice(img, (oy, ox, 0), (h, w, c))
  return jax.vmap(crop)(padded, sy - dy, sx - dx)


@register("bcr", default_weight=10.0)
def bcr(critic, real, fake, key, *, translate: float = 0.125, noise: float = 0.05) -> jax.Array:
  """Balanced consistency regularization (Zhao et al. 2020, "Improved Consistency Regularization
  for GANs", Alg. 1): E[(D(x) - D(T(x)))^2] + E[(D(G(z)) - D(T(G(z))))^2], T =
  `consistency_augment` with independent randomness for real and fake. Both D outputs take the same
  dropout mask (same key, same shape), so the difference measures T alone.
  Paper: lambda_real = lambda_fake = 10 (one weight here)."""
  kr, kf = jax.random.split(key)
  aug = lambda x, k: consistency_augment(x, k, translate=translate, noise=noise)
  gap = lambda x, k: jnp.mean((critic(x) - critic(aug(x, k))) ** 2)
  return gap(real, kr) + gap(fake, kf)


# ----------------------------------------------------------------------------- stateful

def lecam_anchors(entry: dict, decay: float) -> tuple[jax.Array, jax.Array]:
  """(a_R, a_F): the zero-debiased EMAs ema / (1 - decay^count) of LeCam's state entry {"real",
  "fake": biased EMAs of the mean real / fake logits, "count": steps seen}; 0 before any step."""
  count = entry["count"]
  debias = jnp.where(count > 0, 1.0 - decay ** count.astype(jnp.float32), 1.0)
  return entry["real"] / debias, entry["fake"] / debias


def _lecam_technique(player: str, *, decay: float = 0.99) -> StatefulTechnique:
  del player  # reads the logits, not parameters
  def init(params):
    del params
    return {"real": jnp.zeros(()), "fake": jnp.zeros(()), "count": jnp.zeros((), jnp.int32)}

  def update(entry, state, metrics):
    del state
    ema = lambda old, new: decay * old + (1.0 - decay) * new
    return {"real": ema(entry["real"], metrics["lecam_real_logit"]),
            "fake": ema(entry["fake"], metrics["lecam_fake_logit"]), "count": entry["count"] + 1}

  return StatefulTechnique("lecam", init, update)


def _lecam_report(inputs) -> dict:
  return {"lecam_real_logit": jnp.mean(inputs.real_logits),
          "lecam_fake_logit": jnp.mean(inputs.fake_logits)}


@register("lecam", default_weight=0.3, on_inputs=True, technique=_lecam_technique,
          report=_lecam_report)
def lecam(inputs, *, decay: float = 0.99) -> jax.Array:
  """LeCam regularization (Tseng et al. 2021, "Regularizing Generative Adversarial Networks under
  Limited Data", Eq. 3, with the one-sided relu of the authors' code google/lecam-gan):
  E[relu(D(x) - a_F)^2] + E[relu(a_R - D(G(z)))^2], a_R / a_F the debiased EMAs (decay 0.99) of
  the mean real / fake logits of the past steps, kept in state.extras["lecam"] and advanced after
  each step from the metrics "lecam_real_logit" / "lecam_fake_logit" (global means under pmap).
  Unlike the authors' code the anchors exclude the current batch, so the value does not depend on
  how the batch is split over devices. The paper tunes the weight per set-up (default here 0.3)."""
  a_real, a_fake = lecam_anchors(inputs.state.extras["lecam"], decay)
  return (jnp.mean(jax.nn.relu(inputs.real_logits - a_fake) ** 2)
          + jnp.mean(jax.nn.relu(a_real - inputs.fake_logits) ** 2))


def _historical_average_technique(player: str) -> StatefulTechnique:
  # mean_t = mean of the critic's parameters theta_0 .. theta_t after t steps (count = t + 1 terms).
  def init(params):
    return {"mean": jax.tree.map(jnp.copy, params[player]), "count": jnp.ones((), jnp.int32)}

  def update(entry, state, metrics):
    del metrics
    n = (entry["count"] + 1).astype(jnp.float32)
    mean = jax.tree.map(lambda m, p: m + (p - m) / n, entry["mean"], state.players[player].params)
    return {"mean": mean, "count": entry["count"] + 1}

  return StatefulTechnique("historical_average", init, update)


@register("historical_average", default_weight=1.0, on_inputs=True,
          technique=_historical_average_technique)
def historical_average(inputs) -> jax.Array:
  """Historical averaging (Salimans et al. 2016, "Improved Techniques for Training GANs",
  Sec. 3.3) of the D parameters: ||theta - (1/t) sum_{i<t} theta_i||^2, summed over all D
  parameters; the running mean of the past parameters (theta_0 = the initial ones) lives in
  state.extras["historical_average"]. The paper gives no weight (default 1)."""
  sq = jax.tree.map(lambda p, m: jnp.sum((p - m) ** 2), inputs.d_params,
                    inputs.state.extras["historical_average"]["mean"])
  return sum(jax.tree.leaves(sq))


# ----------------------------------------------------------------------------- config

def check_regularizers(regs) -> None:
  """ConfigError naming the field and the fix for the first bad entry of config.regularizers."""
  regs = regs or {}
  if not hasattr(regs, "items"):
    raise ConfigError(f"config.regularizers must map regularizer names to hyperparameters, e.g. "
                      f"{{'r1': {{'weight': 1.0}}}}; got {regs!r}.")
  for name, hparams in regs.items():
    spec = REGULARIZERS.get(name)
    field = f"config.regularizers.{name}"
    if hparams is None:
      hparams = {}
    if not hasattr(hparams, "items"):
      raise ConfigError(f"{field} must be a dict of hyperparameters (e.g. {{'weight': 1.0}}), "
                        f"got {hparams!r}.")
    valid = sorted((*COMMON_HPARAMS, *spec.hparams()))
    unknown = sorted(set(hparams) - set(valid))
    if unknown:
      raise ConfigError(f"{field} has unknown hyperparameter(s) {unknown}; {name} takes {valid}.")
    for k, v in hparams.items():
      if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{field}.{k} must be a number, got {v!r}.")
    weight = hparams.get("weight", spec.default_weight)
    if not weight >= 0:
      raise ConfigError(f"{field}.weight must be >= 0, got {weight!r}.")
    every = hparams.get("every", 1)
    if not isinstance(every, int) or every < 1:
      raise ConfigError(f"{field}.every must be an integer >= 1 (1 = every step), got {every!r}.")


def build_d_penalty(config, critic_player: str):
  """(d_penalty or None, techniques) for `config.regularizers` (see the module docstring);
  critic_player: the player the penalties regularize (stateful techniques read its parameters).

  d_penalty(PenaltyInputs) -> (sum of weighted penalties, {"reg_<name>": weighted value, ...});
  techniques: the StatefulTechnique the selected regularizers keep in state.extras.
  """
  regs = config.get("regularizers", None) or {}
  check_regularizers(regs)
  terms = []
  for name in sorted(regs):
    spec, hparams = REGULARIZERS.get(name), dict(regs[name] or {})
    weight = float(hparams.pop("weight", spec.default_weight))
    terms.append((name, spec, weight, int(hparams.pop("every", 1)), hparams))
  if not terms:
    return None, ()
  techniques = tuple(spec.technique(critic_player, **_select(spec.technique, hp))
                     for _, spec, _, _, hp in terms if spec.technique)

  def d_penalty(inputs):
    total, metrics = jnp.zeros((), jnp.float32), {}
    for i, (name, spec, weight, every, hparams) in enumerate(terms):
      own = inputs._replace(key=jax.random.fold_in(inputs.key, i))
      value = lazy(lambda: spec.penalty(own, hparams), weight, every, inputs.state.step)
      metrics[f"reg_{name}"] = value
      if spec.report:
        metrics.update(spec.report(inputs))
      total = total + value
    return total, metrics

  return d_penalty, techniques


def lazy(penalty: Callable[[], jax.Array], weight: float, every: int, step: jax.Array) -> jax.Array:
  """weight * penalty() every step when every == 1; else every * weight * penalty() on steps with
  step % every == 0 and 0 on the others, where `lax.cond` does not compute the penalty at all."""
  if every == 1:
    return weight * penalty()
  return jax.lax.cond(step % every == 0,
                      lambda: (every * weight * penalty()).astype(jnp.float32),
                      lambda: jnp.zeros((), jnp.float32))
