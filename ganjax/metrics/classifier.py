"""The domain feature networks: small CNN classifiers whose weights ship in ganjax/assets/.

  fashion_mnist_cnn  28x28x1 Fashion-MNIST, its 10 classes (test accuracy 0.902)
  emoji32_cnn        32x32x3 emoji32 (ganjax/data/emoji.py), its 8 Unicode emoji groups

Their 128-d penultimate activations and their logits feed FID, KID, Inception Score and
precision/recall for small images, where InceptionV3 (trained on 299x299 colour ImageNet photos,
and not shipped) sees little. Trained by experiments/train_classifier.py; the record of each run
(command, seed, test accuracy, sha256) sits next to its weights in <name>.json.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

from ganjax.errors import CheckpointError
from ganjax.runtime.xla_options import compiler_options

ASSETS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets")
FEATURE_DIM = 128


@dataclasses.dataclass(frozen=True)
class Classifier:
  """A shipped CNN: its name (files <name>.msgpack and <name>.json in ASSETS_DIR), the dataset it
  was trained on, its input shape and number of classes."""

  name: str
  dataset: str
  image_shape: tuple[int, int, int]
  num_classes: int
  widths: tuple[int, ...] = (16, 32, 64)  # of the conv blocks

  @property
  def weights_file(self) -> str:
    return f"{self.name}.msgpack"

  @property
  def record_file(self) -> str:
    return f"{self.name}.json"

  def model(self, dropout_rate: float = 0.2) -> "DomainCNN":
    return DomainCNN(num_classes=self.num_classes, widths=self.widths, dropout_rate=dropout_rate)


FASHION_MNIST = Classifier("fashion_mnist_cnn", "fashion_mnist", (28, 28, 1), 10)
EMOJI32 = Classifier("emoji32_cnn", "emoji32", (32, 32, 3), 8, widths=(32, 64, 128))
CLASSIFIERS = {c.name: c for c in (FASHION_MNIST, EMOJI32)}
# The Fashion-MNIST network's, the default of the functions below.
WEIGHTS_FILE, RECORD_FILE = FASHION_MNIST.weights_file, FASHION_MNIST.record_file
IMAGE_SHAPE, NUM_CLASSES = FASHION_MNIST.image_shape, FASHION_MNIST.num_classes


class DomainCNN(nn.Module):
  """Three conv/max-pool blocks and a 128-unit dense layer.

  __call__(images float32 [B, H, W, C] in [0, 1]) -> (features [B, 128] >= 0, logits [B, K]);
  28x28 inputs pool to 3x3, 32x32 to 4x4 before the dense layers.
  """

  num_classes: int = NUM_CLASSES
  widths: tuple[int, ...] = (16, 32, 64)  # small enough to train in minutes on a 2-core CPU
  dropout_rate: float = 0.2

  @nn.compact
  def __call__(self, x, train: bool = False):
    for width in self.widths:
      x = nn.relu(nn.Conv(width, (3, 3))(x))
      x = nn.max_pool(x, (2, 2), (2, 2))  # 28 -> 14 -> 7 -> 3
    x = x.reshape(x.shape[0], -1)
    x = nn.Dropout(self.dropout_rate, deterministic=not train)(x)
    features = nn.relu(nn.Dense(FEATURE_DIM)(x))
    logits = nn.Dense(self.num_classes)(nn.Dropout(self.dropout_rate, deterministic=not train)(features))
    return features, logits


def preprocess(images) -> jax.Array:
  """images: uint8 [B, H, W, C] in [0, 255] -> float32 [B, H, W, C] in [0, 1]."""
  return jnp.asarray(images, jnp.float32) / 255.0


def init_params(key: jax.Array, net: Classifier = FASHION_MNIST) -> Any:
  return net.model().init(key, jnp.zeros((1, *net.image_shape), jnp.float32))["params"]


def weights_path(directory: str = ASSETS_DIR, net: Classifier = FASHION_MNIST) -> str:
  return os.path.join(directory, net.weights_file)


def save_weights(params: Any, path: str) -> str:
  """Writes `params` as flax msgpack to `path`; returns the file's sha256 hex digest."""
  data = serialization.to_bytes(jax.device_get(params))
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "wb") as f:
    f.write(data)
  return hashlib.sha256(data).hexdigest()


def load_weights(path: str | None = None, net: Classifier = FASHION_MNIST) -> tuple[Any, str]:
  """Loads `net`'s params (the shipped ones by default); returns (params, sha256)."""
  path = path or weights_path(net=net)
  if not os.path.isfile(path):
    raise CheckpointError(f"classifier weights {path} not found; the package ships them in "
                          f"ganjax/assets/ (reinstall ganjax) or train them with "
                          f"experiments/train_classifier.py.")
  with open(path, "rb") as f:
    data = f.read()
  template = jax.device_get(init_params(jax.random.PRNGKey(0), net))
  params = serialization.from_bytes(template, data)
  return jax.tree.map(np.asarray, params), hashlib.sha256(data).hexdigest()


def load_record(directory: str = ASSETS_DIR, net: Classifier = FASHION_MNIST) -> dict:
  """The training record shipped with the weights: command, seed, test accuracy, sha256."""
  with open(os.path.join(directory, net.record_file)) as f:
    return json.load(f)


def make_apply(params: Any, net: Classifier = FASHION_MNIST):
  """A jitted images uint8 [B, *net.image_shape] -> (features float32 [B, 128], logits float32
  [B, net.num_classes])."""
  model = net.model()

  def apply(images):
    return model.apply({"params": params}, preprocess(images), train=False)

  return jax.jit(apply, compiler_options=compiler_options(jax.default_backend()))
