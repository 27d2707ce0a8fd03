"""Unconditional GAN objective: real batch["image"] vs G(z)."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from ganjax.models.layers import mixes_examples
from ganjax.objectives.generator_losses import adversarial
from ganjax.train.state import GANState, Side


def sample_latent(key: jax.Array, batch_size: int, latent_dim: int,
                  axis_name: str | None = None) -> jax.Array:
  """Standard normal latent codes z: [batch_size, latent_dim] float32.

  Under shard_map (`axis_name` set, `batch_size` the per-device size) every device draws the
  global batch's codes and keeps its own rows, so the codes do not depend on the device count.
  """
  if axis_name is None:
    return jax.random.normal(key, (batch_size, latent_dim), jnp.float32)
  n, i = jax.lax.psum(1, axis_name), jax.lax.axis_index(axis_name)
  z = jax.random.normal(key, (batch_size * n, latent_dim), jnp.float32)
  return jax.lax.dynamic_slice_in_dim(z, i * batch_size, batch_size)


def apply_module(module, side: Side, params, *args, train: bool, key=None):
  """Applies `module` with `params` and the side's collections.

  Returns (output, new_collections); in train mode the collections (batch statistics, spectral
  norm vectors) come back updated, otherwise unchanged.
  """
  mutable = list(side.collections) if train and side.collections else False
  rngs = {"dropout": key} if key is not None else None
  out = module.apply(side.variables(params), *args, train=train, rngs=rngs, mutable=mutable)
  if mutable:
    return out[0], dict(out[1])
  return out, side.collections


class PenaltyInputs(NamedTuple):
  """What a discriminator penalty (ganjax.regularizers) may read, built inside `d_loss`.

  critic: images [B, ...] -> logits [B], with the D parameters being differentiated closed over
  (train mode, collection updates discarded), so input gradients are one `jax.grad` away.
  real, fake: the samples D saw this step (after augmentation; fake has no gradient to G).
  real_logits, fake_logits: [B] float32, D's outputs on them. d_params: the D parameters.
  state: the GANState before this update (extras hold technique state). key: private PRNG key.
  """
  critic: Callable[[jax.Array], jax.Array]
  real: jax.Array
  fake: jax.Array
  real_logits: jax.Array
  fake_logits: jax.Array
  d_params: Any
  state: GANState
  key: jax.Array


# augment(images [B, ...], key, state) -> images of the same shape; applied to real and fake alike.
Augment = Callable[[jax.Array, jax.Array, GANState], jax.Array]
# d_penalty(PenaltyInputs) -> (scalar added to the D loss, dict of float32 scalar metrics).
Penalty = Callable[[PenaltyInputs], tuple[jax.Array, dict]]


@dataclasses.dataclass(frozen=True)
class UnconditionalObjective:
  """generator: z -> samples; discriminator: samples -> logits [B]; loss: a ganjax.losses entry.

  augment: optional differentiable augmentation of everything D sees, in the D and the G loss
  (DiffAugment, ADA); d_penalty: optional sum of regularizers added to the D loss;
  techniques: the ganjax.train.techniques.StatefulTechnique those pieces keep in `state.extras`.
  g_objective: what G minimises, a ganjax.objectives.generator_losses strategy (adversarial,
  feature matching).

  Keys: d_loss and g_loss split their key into (latent, dropout, augmentation, penalty) keys.
  Under shard_map (`axis_name` set) dropout and penalty keys are folded with the device index:
  masks (and e.g. gradient-penalty interpolates) are independent per device, as in data-parallel
  PyTorch, but not bit-equal to jit mode's.
  """
  generator: object
  discriminator: object
  latent_dim: int
  loss: Callable
  axis_name: str | None = None
  augment: Augment | None = None
  d_penalty: Penalty | None = None
  techniques: tuple = ()
  g_objective: Callable = adversarial

  def _fake(self, g_params, state: GANState, batch_size: int, key: jax.Array):
    z = sample_latent(key, batch_size, self.latent_dim, self.axis_name)
    return apply_module(self.generator, state.g, g_params, z, train=True)

  def _device_key(self, key):
    """Under shard_map: `key` folded with the device index (independent dropout per device)."""
    if self.axis_name is None:
      return key
    return jax.random.fold_in(key, jax.lax.axis_index(self.axis_name))

  def _fake_logits(self, d_params, state: GANState, fake, key):
    """D's logits [B] on the fake batch alone (train mode; collection updates dropped)."""
    return apply_module(self.discriminator, state.d, d_params, fake, train=True,
                        key=self._device_key(key))[0]

  def _logits(self, d_params, state: GANState, real, fake, key):
    key = self._device_key(key)
    if mixes_examples(self.discriminator):
      # Minibatch layers (ganjax/models/layers.py) must see real and fake as separate batches.
      kr, kf = jax.random.split(key)
      real_logits, d_cols = apply_module(self.discriminator, state.d, d_params, real, train=True, key=kr)
      fake_logits, d_cols = apply_module(self.discriminator, state.d.replace(collections=d_cols),
                                         d_params, fake, train=True, key=kf)
      return real_logits, fake_logits, d_cols
    # Real and fake through D in one call: one larger matmul beats two dispatches.
    logits, d_cols = apply_module(self.discriminator, state.d, d_params,
                                  jnp.concatenate([real, fake]), train=True, key=key)
    return logits[: real.shape[0]], logits[real.shape[0]:], d_cols

  def _augmented(self, state: GANState, real, fake, key):
    """(real, fake) as D sees them: augmented with independent randomness when configured."""
    if self.augment is None:
      return real, fake
    kr, kf = jax.random.split(key)
    return self.augment(real, kr, state), self.augment(fake, kf, state)

  def d_loss(self, d_params, state: GANState, batch, key):
    kz, kdrop, kaug, kpen = jax.random.split(key, 4)
    real = batch["image"]
    fake, _ = self._fake(state.g.params, state, real.shape[0], kz)  # G's BN updates kept in g_loss
    real, fake = self._augmented(state, real, jax.lax.stop_gradient(fake), kaug)
    real_logits, fake_logits, d_cols = self._logits(d_params, state, real, fake, kdrop)
    d_loss, _ = self.loss(real_logits, fake_logits)
    metrics = {"d_loss": d_loss, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
               "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits)),
               # sign of D(real): ADA's overfitting heuristic r_t reads this.
               "d_real_sign": jnp.mean(jnp.sign(real_logits))}
    if self.d_penalty is not None:
      # per-device penalty noise and dropout, as in `_logits`
      kdrop, kpen = self._device_key(kdrop), self._device_key(kpen)
      critic = lambda x: apply_module(self.discriminator, state.d, d_params, x, train=True,
                                      key=kdrop)[0]
      penalty, penalty_metrics = self.d_penalty(PenaltyInputs(
          critic, real, fake, real_logits, fake_logits, d_params, state, kpen))
      metrics = {**metrics, **penalty_metrics, "d_adv_loss": d_loss}
      d_loss = d_loss + penalty
      metrics["d_loss"] = d_loss
    return d_loss, (metrics, d_cols)

  def g_loss(self, g_params, state: GANState, batch, key):
    kz, kdrop, kaug, _ = jax.random.split(key, 4)
    real = batch["image"]
    fake, g_cols = self._fake(g_params, state, real.shape[0], kz)
    real, fake = self._augmented(state, real, fake, kaug)
    g_loss, metrics = self.g_objective(self, state, real, fake, kdrop)
    return g_loss, ({"g_loss": g_loss, **metrics}, g_cols)
