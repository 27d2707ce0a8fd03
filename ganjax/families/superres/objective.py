"""The super-resolution objective: SRResNet's pixel loss, SRGAN's and ESRGAN's two-stage games.

Batch fields "hr" [B, H, W, C] and "lr" [B, H/s, W/s, C], float32 in [-1, 1]; G(lr) has hr's shape.

  pretraining (every step without a critic; steps < mse_steps with one):
      L_G = MSE(G(lr), hr) (SRResNet, Ledig et al. 2017 Eq. 4) or L1 (ESRGAN's PSNR-oriented
      stage, Wang et al. 2018 Sec. 4.1), by `pretrain`
  adversarial (steps >= mse_steps):
      L_G = content_weight * content + l1_weight * L1(G(lr), hr) + adv_weight * adv
      content  "mse": MSE(G(lr), hr) (SRGAN-MSE); "features": mean((s phi(G(lr)) - s phi(hr))^2)
               with phi the frozen content network (the shipped classifier's last conv, after or,
               for ESRGAN, before its ReLU) and s = feature_scale (SRGAN's 1/12.75, Sec. 2.2.1)
      adv      the generator term of `loss` (ganjax.objectives.losses): non_saturating is SRGAN's
               -log D(G(lr)) (Eq. 6); relativistic_average is ESRGAN's RaGAN (Eq. 1-2), whose
               generator term reads D(hr) too
      L_D = the critic term of `loss` on D(hr) and D(G(lr)), one D call on both halves.
The switch is computed inside the compiled step from `state.step` (`lax.cond`), so a run resumed
across it draws and computes exactly what an uninterrupted one does. Before the switch the critic
phase computes nothing (zero loss and gradients); D's optimizer must start at mse_steps
(`optimizers.d.start_step`, ganjax/optimizers.py) so its Adam moments start fresh at the switch.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.outputs import logits_of
from ganjax.core.phases import Phase
from ganjax.core.state import GANState
from ganjax.objectives.samplers import check_cond
from ganjax.objectives.translation_terms import l1, squared

CONTENT = ("mse", "features")
PRETRAIN = ("mse", "l1")
_G_METRICS = ("mse", "l1", "content", "g_adv", "adversarial_phase")


def feature_content(features: Callable, fake: jax.Array, hr: jax.Array, scale: float) -> jax.Array:
  """mean((scale * phi(fake) - scale * phi(hr))^2), phi = `features` (images -> feature maps)."""
  return squared(scale * features(fake), scale * features(hr))


@dataclasses.dataclass(frozen=True)
class SuperResObjective:
  """nets: {"g": lr -> sr, and with `adversarial` "d": images -> DOutput; with content
  "features" "content": the frozen content network}; loss: a LOSSES entry with its options bound."""
  nets: Networks
  loss: Callable | None = None
  adversarial: bool = False
  mse_steps: int = 0
  pretrain: str = "mse"
  content: str = "mse"
  content_weight: float = 1.0
  l1_weight: float = 0.0
  adv_weight: float = 1e-3
  feature_scale: float = 1.0 / 12.75
  axis_name: str | None = None
  techniques: tuple = ()
  cond_fields = ("lr",)  # the Conditioned capability: samples are G(cond["lr"])
  required_cond = ("lr",)

  @property
  def progress_metrics(self) -> tuple[str, ...]:
    return ("mse", "g_loss", "d_loss") if self.adversarial else ("mse",)

  @property
  def phases(self) -> tuple[Phase, ...]:
    g = Phase("g", "g", self.g_loss)
    return (Phase("d", "d", self.d_loss), g) if self.adversarial else (g,)

  def adversarial_on(self, state: GANState) -> jax.Array:
    """Whether this step is in the adversarial stage: bool [] from the state's step."""
    return jnp.logical_and(self.adversarial, state.step >= self.mse_steps)

  def _critic(self, state: GANState, hr, fake, params=None):
    """D's logits on hr and fake ([B] each) from one train-mode call, and D's collections. Under
    shard_map (axis_name) the logits of every device's block are gathered, so losses with batch
    statistics (RaGAN's E[C(x_f)], E[C(x_r)]) read the global batch as on one device; each device
    then computes the same loss, and the step's pmean of the gradients (all_gather's transpose sums
    the identical cotangents) gives the one-device gradient."""
    out, cols = self.nets.apply(state, "d", jnp.concatenate([hr, fake]), params=params, train=True)
    real_logits, fake_logits = jnp.split(logits_of(out), 2)
    if self.axis_name is not None:
      gather = lambda x: jax.lax.all_gather(x, self.axis_name, tiled=True)
      real_logits, fake_logits = gather(real_logits), gather(fake_logits)
    return real_logits, fake_logits, cols

  def _content(self, state: GANState, fake, hr) -> jax.Array:
    if self.content == "mse":
      return squared(fake, hr)
    features = lambda x: self.nets.apply(state, "content", x, train=False)[0]
    return feature_content(features, fake, hr, self.feature_scale)

  def d_loss(self, d_params, state: GANState, batch, key):
    del key  # nothing random: G and D have no dropout
    hr = batch["hr"]
    zeros = {"d_loss": jnp.float32(0), "d_real": jnp.float32(0), "d_fake": jnp.float32(0)}
    current = {"d": {c: v for c, v in state.variables("d").items() if c != "params"}}

    def train(p):
      fake = jax.lax.stop_gradient(self.nets.apply(state, "g", batch["lr"], train=True)[0])
      real_logits, fake_logits, cols = self._critic(state, hr, fake, p["d"])
      d = self.loss(real_logits, fake_logits)[0]
      return d, ({"d_loss": d, "d_real": jnp.mean(jax.nn.sigmoid(real_logits)),
                  "d_fake": jnp.mean(jax.nn.sigmoid(fake_logits))}, {"d": cols})

    def skip(p):
      del p
      return jnp.float32(0), (zeros, current)

    return jax.lax.cond(self.adversarial_on(state), train, skip, d_params)

  def g_loss(self, g_params, state: GANState, batch, key):
    del key
    hr = batch["hr"]
    fake, cols = self.nets.apply(state, "g", batch["lr"], params=g_params["g"], train=True)
    mse, dist = squared(fake, hr), l1(fake, hr)
    pre = mse if self.pretrain == "mse" else dist
    zero = jnp.float32(0)
    if not self.adversarial:
      return pre, ({"g_loss": pre, "mse": mse, "l1": dist}, {"g": cols})

    def gan(x):
      content = self._content(state, x, hr)
      real_logits, fake_logits, _ = self._critic(state, hr, x)  # D's collection updates dropped
      adv = self.loss(real_logits, fake_logits)[1]
      total = self.content_weight * content + self.l1_weight * l1(x, hr) + self.adv_weight * adv
      return total, content, adv, jnp.float32(1)

    def pretraining(x):
      del x
      return pre, zero, zero, zero

    total, content, adv, phase = jax.lax.cond(self.adversarial_on(state), gan, pretraining, fake)
    metrics = dict(zip(_G_METRICS, (mse, dist, content, adv, phase)), g_loss=total)
    return total, (metrics, {"g": cols})

  def upscale(self, state: GANState, lr: jax.Array, *, ema: bool = True) -> jax.Array:
    """lr [B, h, w, C] in [-1, 1] -> G(lr) [B, sh, sw, C] clipped to [-1, 1], eval mode."""
    return jnp.clip(self.nets.apply(state, "g", lr, train=False, ema=ema)[0], -1.0, 1.0)

  def sample(self, state: GANState, key, num: int, *, ema: bool = True, cond=None) -> jax.Array:
    """G(cond["lr"]) [num, H, W, C] in [-1, 1]; `key` unused (G is deterministic)."""
    del key
    return self.upscale(state, check_cond(self, cond, num)["lr"], ema=ema)
