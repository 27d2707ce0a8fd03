"""Feature networks the metrics see images through, selected by name from `FEATURE_NETS`.

A feature network maps uint8 images [N, H, W, C] to (features float32 [N, D], logits float32
[N, K]): FID, KID and precision/recall use the features, Inception Score the logits. Registered
factories take keyword options (e.g. `weights_path=`) and return a `FeatureNet`:

  net = build_feature_net("fashion_mnist_cnn")
  features, logits = net(images)          # any N; batched and jitted inside

A factory may carry an `image_shape` attribute (the only input shape it accepts) so that configs
can be checked before anything is loaded; without one, any image size is accepted.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import jax
import numpy as np

from ganjax.errors import DataFormatError
from ganjax.registry import Registry

FEATURE_NETS: Registry = Registry("feature network")


@dataclasses.dataclass(frozen=True)
class FeatureNet:
  """images uint8 [N, H, W, C] -> (features float32 [N, D], logits float32 [N, K]).

  apply: a (jitted) function of one uint8 batch of exactly `batch_size` images; the last, short
    batch is zero-padded so that it compiles once.
  weights_hash: hex digest of the weights, part of the reference-statistics cache key.
  image_shape: the only (H, W, C) it accepts, or None for any.
  """

  name: str
  apply: Callable[[Any], tuple[jax.Array, jax.Array]]
  weights_hash: str
  image_shape: tuple[int, int, int] | None = None
  batch_size: int = 500

  @property
  def cache_key(self) -> str:
    """Names the network and its exact weights: reference statistics are reused only under it."""
    return f"{self.name}-{self.weights_hash[:16]}"

  def check_images(self, images: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != 4:
      raise DataFormatError(f"feature network {self.name!r} takes uint8 images [N, H, W, C], got "
                            f"{images.dtype} of shape {images.shape}; convert with "
                            f"ganjax.images.to_uint8.")
    if self.image_shape is not None and tuple(images.shape[1:]) != tuple(self.image_shape):
      raise DataFormatError(f"feature network {self.name!r} takes images of shape {self.image_shape}, "
                            f"got {tuple(images.shape[1:])}; pick a feature network for this size "
                            f"(--feature_net=inception_v3 resizes any image) or resize the images.")

  def __call__(self, images) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images)
    self.check_images(images)
    feats, logits = [], []
    for start in range(0, len(images), self.batch_size):
      batch = images[start:start + self.batch_size]
      n = len(batch)
      if n < self.batch_size:
        batch = np.concatenate([batch, np.zeros((self.batch_size - n, *batch.shape[1:]), np.uint8)])
      f, l = jax.device_get(self.apply(batch))
      feats.append(np.asarray(f[:n], np.float32))
      logits.append(np.asarray(l[:n], np.float32))
    if not feats:
      raise DataFormatError(f"feature network {self.name!r} got no images.")
    return np.concatenate(feats), np.concatenate(logits)


def build_feature_net(name: str, **options) -> FeatureNet:
  """The FEATURE_NETS factory `name` called with `options`; unknown names list the valid ones."""
  return FEATURE_NETS.get(name)(**options)


def feature_net_image_shape(name: str) -> tuple[int, ...] | None:
  """The input shape a registered network requires, or None (any), without loading it."""
  shape = getattr(FEATURE_NETS.get(name), "image_shape", None)
  return None if shape is None else tuple(shape)


def accepts_shape(name: str, shape: Sequence[int]) -> bool:
  required = feature_net_image_shape(name)
  return required is None or tuple(required) == tuple(shape)


def fashion_mnist_cnn(weights_path: str | None = None, batch_size: int = 500) -> FeatureNet:
  """The shipped domain classifier (ganjax/metrics/classifier.py): 128-d features, 10 logits.
  weights_path: another weight file of the same architecture (default: the shipped one)."""
  from ganjax.metrics import classifier
  params, sha = classifier.load_weights(weights_path)
  return FeatureNet(name="fashion_mnist_cnn", apply=classifier.make_apply(params), weights_hash=sha,
                    image_shape=classifier.IMAGE_SHAPE, batch_size=batch_size)


fashion_mnist_cnn.image_shape = (28, 28, 1)
FEATURE_NETS.register("fashion_mnist_cnn", fashion_mnist_cnn)


def _file_sha256(path: str) -> str:
  import hashlib
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def inception_v3(weights_path: str | None = None, batch_size: int = 50) -> FeatureNet:
  """InceptionV3 as pytorch-fid ports it (ganjax/metrics/inception.py): pool3 [N, 2048], logits
  [N, 1008], any image size (resized to 299). weights_path: the .pth or converted .npz (else
  $GANJAX_INCEPTION_WEIGHTS); nothing is downloaded."""
  from ganjax.metrics import inception
  path = inception.resolve_weights_path(weights_path)
  fn = inception.inception_feature_fn(path, batch_size=batch_size)
  return FeatureNet(name="inception_v3", apply=fn, weights_hash=_file_sha256(path), batch_size=batch_size)


FEATURE_NETS.register("inception_v3", inception_v3)
