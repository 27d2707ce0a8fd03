"""A test-only family with two generators and two critics (a minimal CycleGAN), proving the
multi-network shape compiles, shards over 8 devices and resumes exactly.

Domains: a = the digits image, b = the same image mirrored left-right (both from the "image"
field). Players: "g" trains g_ab and g_ba, "d" trains d_a and d_b. Phases: "d" (both critics,
non-saturating loss), then "g" (both translators: adversarial + cycle L1, weight 10).
Importing this module registers it as model "test_cycle".
"""

from __future__ import annotations

import dataclasses
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.outputs import logits_of
from ganjax.core.phases import Family, Phase
from ganjax.families import FAMILIES
from ganjax.families.mlp.networks import MLPDiscriminator
from ganjax.objectives.losses import non_saturating


class Translator(nn.Module):
  """images [B, *image_shape] -> images in [-1, 1]: a residual two-layer MLP."""
  image_shape: tuple = (16, 16, 1)
  hidden: int = 32

  @nn.compact
  def __call__(self, x, *, train: bool):
    del train
    flat = x.reshape(x.shape[0], -1)
    h = nn.relu(nn.Dense(self.hidden)(flat))
    return jnp.tanh(flat + nn.Dense(math.prod(x.shape[1:]))(h)).reshape(x.shape)


@dataclasses.dataclass(frozen=True)
class CycleObjective:
  nets: Networks
  cycle_weight: float = 10.0
  techniques: tuple = ()
  progress_metrics = ("d_loss", "g_loss")

  @property
  def phases(self):
    return (Phase("d", "d", self.d_loss), Phase("g", "g", self.g_loss))

  def _domains(self, batch):
    a = batch["image"]
    return a, a[:, :, ::-1, :]

  def _logits(self, state, net, x, params=None):
    out, _ = self.nets.apply(state, net, x, params=params, train=True)
    return logits_of(out)

  def d_loss(self, params, state, batch, key):
    del key
    a, b = self._domains(batch)
    fake_b = jax.lax.stop_gradient(self.nets.apply(state, "g_ab", a, train=True)[0])
    fake_a = jax.lax.stop_gradient(self.nets.apply(state, "g_ba", b, train=True)[0])
    loss_a, _ = non_saturating(self._logits(state, "d_a", a, params["d_a"]),
                               self._logits(state, "d_a", fake_a, params["d_a"]))
    loss_b, _ = non_saturating(self._logits(state, "d_b", b, params["d_b"]),
                               self._logits(state, "d_b", fake_b, params["d_b"]))
    return loss_a + loss_b, ({"d_loss": loss_a + loss_b}, {})

  def g_loss(self, params, state, batch, key):
    del key
    a, b = self._domains(batch)
    ab = lambda x: self.nets.apply(state, "g_ab", x, params=params["g_ab"], train=True)[0]
    ba = lambda x: self.nets.apply(state, "g_ba", x, params=params["g_ba"], train=True)[0]
    fake_b, fake_a = ab(a), ba(b)
    _, adv_b = non_saturating(jnp.zeros(a.shape[0]), self._logits(state, "d_b", fake_b))
    _, adv_a = non_saturating(jnp.zeros(a.shape[0]), self._logits(state, "d_a", fake_a))
    cycle = jnp.mean(jnp.abs(ba(fake_b) - a)) + jnp.mean(jnp.abs(ab(fake_a) - b))
    loss = adv_a + adv_b + self.cycle_weight * cycle
    return loss, ({"g_loss": loss, "cycle": cycle}, {})

  def sample(self, state, key, num, *, ema=True):
    """g_ab of uniform noise images: this toy has no data at sampling time."""
    x = jax.random.uniform(key, (num, *self.nets["g_ab"].image_shape), minval=-1, maxval=1)
    return self.nets.apply(state, "g_ab", x, train=False, ema=ema)[0]


@FAMILIES.register("test_cycle", overwrite=True)
def build(config, ctx) -> Family:
  shape = tuple(ctx.spec.shape)
  nets = Networks({"g_ab": Translator(shape), "g_ba": Translator(shape),
                   "d_a": MLPDiscriminator((16,)), "d_b": MLPDiscriminator((16,))})
  example = (ctx.spec.example(),)
  return Family(networks=nets.modules, players={"g": ("g_ab", "g_ba"), "d": ("d_a", "d_b")},
                example_inputs={n: example for n in nets.modules}, objective=CycleObjective(nets),
                ema=("g_ab", "g_ba"), fields=("image",))


def get_config():
  """The digits config with this family and Adam for both players."""
  import ml_collections
  from experiments.configs import dcgan_digits
  c = dcgan_digits.get_config()
  c.model = ml_collections.ConfigDict(dict(name="test_cycle"))
  for k in ("loss", "loss_kwargs", "regularizers", "g_objective", "d_steps", "augment"):
    del c[k]
  c.optimizers = ml_collections.ConfigDict(dict(g=dict(name="adam", learning_rate=1e-3),
                                                d=dict(name="adam", learning_rate=1e-3)))
  return c
