"""A test-only family that reads two image fields of different sizes: a 2x upsampler GAN, built
with nothing but ganjax's public API (a dataset schema, DATASETS, FAMILIES, Family, Phase,
Networks, the injected layers), so that super-resolution needs no edit of the core.

Dataset "test_digits_sr2": scikit-learn's digits as 16x16 "hr" images and their 8x8 "lr" copies
(Pillow bicubic on the uint8 image), with the label. Family "test_upsampler2x": G(lr) = bilinear
upsample + a residual (conv, pixel shuffle x2, conv); D judges hr images; G's loss is L1 to hr plus
1e-2 times the non-saturating adversarial loss. It samples from `cond={"lr": [n, 8, 8, 1]}`.
Importing this module registers both.
"""

from __future__ import annotations

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import tensorflow_datasets as tfds

from ganjax.core.networks import Networks
from ganjax.core.outputs import DOutput, logits_of
from ganjax.core.phases import Family, Phase
from ganjax.data import schema
from ganjax.data.sources import DATASETS, DatasetSpec
from ganjax.families import FAMILIES
from ganjax.objectives.losses import non_saturating
from ganjax.nn.layers import PLAIN, Layers

HR, LR = 16, 8


class DigitsSr2(tfds.core.GeneratorBasedBuilder):
  """scikit-learn's digits: {"hr": uint8 [16, 16, 1], "lr": uint8 [8, 8, 1], "label"}."""
  VERSION = tfds.core.Version("1.0.0")

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "hr": tfds.features.Tensor(shape=(HR, HR, 1), dtype=np.uint8),
        "lr": tfds.features.Tensor(shape=(LR, LR, 1), dtype=np.uint8),
        "label": tfds.features.ClassLabel(num_classes=10)}))

  def _split_generators(self, dl_manager):
    del dl_manager
    return {"train": self._generate_examples(0), "test": self._generate_examples(1)}

  def _generate_examples(self, part):
    from PIL import Image
    from sklearn.datasets import load_digits
    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    cut = int(0.8 * len(images))
    for i in (range(cut) if part == 0 else range(cut, len(images))):
      hr = Image.fromarray(images[i]).resize((HR, HR), Image.BILINEAR)
      lr = hr.resize((LR, LR), Image.BICUBIC)
      yield i, {"hr": np.asarray(hr)[..., None], "lr": np.asarray(lr)[..., None],
                "label": int(digits.target[i])}


DATASETS.register("test_digits_sr2", DatasetSpec(
    DigitsSr2, None, num_classes=10, in_memory=True,
    schema=(schema.image("hr", (HR, HR, 1)), schema.image("lr", (LR, LR, 1), role="lowres"),
            schema.label(10))), overwrite=True)


class Upsampler(nn.Module):
  """lr [B, h, w, C] in [-1, 1] -> [B, 2h, 2w, C] in [-1, 1]."""
  features: int = 16
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, lr, *, train: bool):
    del train
    b, h, w, c = lr.shape
    base = jax.image.resize(lr, (b, 2 * h, 2 * w, c), "bilinear")
    x = nn.relu(self.layers.conv(self.features * 4, (3, 3))(lr))
    x = self.layers.pixel_shuffle(x, 2)
    return jnp.tanh(base + self.layers.conv(c, (3, 3))(x))


class Critic(nn.Module):
  """hr [B, H, W, C] -> DOutput(logits [B])."""
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x, *, train: bool):
    del train
    for f in (16, 32):
      x = nn.leaky_relu(self.layers.conv(f, (4, 4), (2, 2))(x), 0.2)
    return DOutput(logits=self.layers.dense(1)(x.reshape(x.shape[0], -1))[:, 0])


@dataclasses.dataclass(frozen=True)
class UpsamplerObjective:
  nets: Networks
  adv_weight: float = 1e-2
  techniques = ()
  progress_metrics = ("d_loss", "l1")
  cond_fields = ("lr",)      # the Conditioned capability: samples come from an lr image
  required_cond = ("lr",)

  @property
  def phases(self):
    return (Phase("d", "d", self.d_loss), Phase("g", "g", self.g_loss))

  def d_loss(self, params, state, batch, key):
    del key
    fake = jax.lax.stop_gradient(self.nets.apply(state, "g", batch["lr"], train=True)[0])
    out, _ = self.nets.apply(state, "d", jnp.concatenate([batch["hr"], fake]), params=params["d"],
                             train=True)
    loss, _ = non_saturating(*jnp.split(logits_of(out), 2))
    return loss, ({"d_loss": loss}, {})

  def g_loss(self, params, state, batch, key):
    del key
    fake, _ = self.nets.apply(state, "g", batch["lr"], params=params["g"], train=True)
    l1 = jnp.mean(jnp.abs(fake - batch["hr"]))
    _, adv = non_saturating(jnp.zeros(fake.shape[0]),
                            logits_of(self.nets.apply(state, "d", fake, train=True)[0]))
    loss = l1 + self.adv_weight * adv
    return loss, ({"g_loss": loss, "l1": l1}, {})

  def sample(self, state, key, num, *, ema=True, cond=None):
    """G(cond["lr"]): [num, 16, 16, 1] in [-1, 1]; `key` unused (G is deterministic)."""
    del key
    return self.nets.apply(state, "g", cond["lr"], train=False, ema=ema)[0]


@FAMILIES.register("test_upsampler2x", overwrite=True)
def build(config, ctx) -> Family:
  lr, hr = ctx.spec.field("lr"), ctx.spec.field("hr")
  nets = Networks({"g": Upsampler(config.model.features, layers=ctx.layers),
                   "d": Critic(layers=ctx.layers)})
  # The family reads lr at half hr's size; a dataset whose lr is another size is refused.
  h, w, c = hr.shape
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (lr.example(),), "d": (hr.example(),)},
                objective=UpsamplerObjective(nets), ema=("g",),
                fields={"hr": None, "lr": (h // config.model.factor, w // config.model.factor, c)})


def get_config():
  from experiments.configs import base
  c = base.get_config()
  c.dataset.name = "test_digits_sr2"
  c.model = ml_collections.ConfigDict(dict(name="test_upsampler2x", features=16, factor=2))
  c.optimizers = ml_collections.ConfigDict(
      {p: dict(name="adam", learning_rate=2e-3, b1=0.5) for p in ("g", "d")})
  c.batch_size, c.num_train_steps, c.log_every, c.sample_every = 16, 20, 10, 10
  c.checkpoint_every = 10
  return c
