"""The domain feature network: a small Fashion-MNIST CNN whose weights ship in ganjax/assets/.

Its 128-d penultimate activations and its 10 logits feed FID, KID, Inception Score and
precision/recall for 28x28 single-channel data, where InceptionV3 (trained on 299x299 colour
ImageNet photos) sees little. Trained by experiments/train_classifier.py; the record of that run
(command, seed, test accuracy) sits next to the weights in fashion_mnist_cnn.json.
"""

from __future__ import annotations

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
from ganjax.xla_options import compiler_options

ASSETS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "assets")
WEIGHTS_FILE = "fashion_mnist_cnn.msgpack"
RECORD_FILE = "fashion_mnist_cnn.json"
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
FEATURE_DIM = 128


class FashionMnistCNN(nn.Module):
  """Three conv/max-pool blocks and a 128-unit dense layer.

  __call__(images float32 [B, 28, 28, 1] in [0, 1]) -> (features [B, 128] >= 0, logits [B, 10]).
  """

  dropout_rate: float = 0.2

  @nn.compact
  def __call__(self, x, train: bool = False):
    for width in (16, 32, 64):  # small enough to train in minutes on a 2-core CPU
      x = nn.relu(nn.Conv(width, (3, 3))(x))
      x = nn.max_pool(x, (2, 2), (2, 2))  # 28 -> 14 -> 7 -> 3
    x = x.reshape(x.shape[0], -1)
    x = nn.Dropout(self.dropout_rate, deterministic=not train)(x)
    features = nn.relu(nn.Dense(FEATURE_DIM)(x))
    logits = nn.Dense(NUM_CLASSES)(nn.Dropout(self.dropout_rate, deterministic=not train)(features))
    return features, logits


def preprocess(images) -> jax.Array:
  """images: uint8 [B, 28, 28, 1] in [0, 255] -> float32 [B, 28, 28, 1] in [0, 1]."""
  return jnp.asarray(images, jnp.float32) / 255.0


def init_params(key: jax.Array) -> Any:
  return FashionMnistCNN().init(key, jnp.zeros((1, *IMAGE_SHAPE), jnp.float32))["params"]


def weights_path(directory: str = ASSETS_DIR) -> str:
  return os.path.join(directory, WEIGHTS_FILE)


def save_weights(params: Any, path: str) -> str:
  """Writes `params` as flax msgpack to `path`; returns the file's sha256 hex digest."""
  data = serialization.to_bytes(jax.device_get(params))
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  with open(path, "wb") as f:
    f.write(data)
  return hashlib.sha256(data).hexdigest()


def load_weights(path: str | None = None) -> tuple[Any, str]:
  """Loads the classifier's params (the shipped ones by default); returns (params, sha256)."""
  path = path or weights_path()
  if not os.path.isfile(path):
    raise CheckpointError(f"classifier weights {path} not found; the package ships them in "
                          f"ganjax/assets/ (reinstall ganjax) or train them with "
                          f"experiments/train_classifier.py.")
  with open(path, "rb") as f:
    data = f.read()
  template = jax.device_get(init_params(jax.random.PRNGKey(0)))
  params = serialization.from_bytes(template, data)
  return jax.tree.map(np.asarray, params), hashlib.sha256(data).hexdigest()


def load_record(directory: str = ASSETS_DIR) -> dict:
  """The training record shipped with the weights: command, seed, test accuracy, sha256."""
  with open(os.path.join(directory, RECORD_FILE)) as f:
    return json.load(f)


def make_apply(params: Any):
  """A jitted images uint8 [B, 28, 28, 1] -> (features float32 [B, 128], logits float32 [B, 10])."""
  model = FashionMnistCNN()

  def apply(images):
    return model.apply({"params": params}, preprocess(images), train=False)

  return jax.jit(apply, compiler_options=compiler_options(jax.default_backend()))
