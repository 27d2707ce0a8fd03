"""Feature networks the metrics see images through, selected by name from `FEATURE_NETS`.

A feature network maps uint8 images [N, H, W, C] to (features float32 [N, D], logits float32
[N, K]): FID, KID and precision/recall use the features, Inception Score the logits. Registered
factories take keyword options (e.g. `weights_path=`) and return a `FeatureNet`:

  net = build_feature_net("fashion_mnist_cnn")
  features, logits = net(images)          # any N; batched and jitted inside

A factory may carry an `image_shape` attribute (the input shape it reads) and a `crop_from`
attribute (larger shapes it also takes, by their centre crop) so that configs can be checked before
anything is loaded; without `image_shape`, any image size is accepted. Each dataset names the
network that scores it by default (DatasetSpec.feature_net, ganjax/metrics/eval_config.py).
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
  image_shape: the (H, W, C) it reads, or None for any.
  crop_from: larger (H, W, C) it also takes, reading their centre image_shape crop: the
    fashion_mnist_cnn reads 32x32 zero-padded Fashion-MNIST (fashion_mnist32, the translation
    datasets) by its centre 28x28, the image before padding.
  """

  name: str
  apply: Callable[[Any], tuple[jax.Array, jax.Array]]
  weights_hash: str
  image_shape: tuple[int, int, int] | None = None
  batch_size: int = 500
  crop_from: tuple[tuple[int, int, int], ...] = ()

  @property
  def cache_key(self) -> str:
    """Names the network and its exact weights: reference statistics are reused only under it."""
    return f"{self.name}-{self.weights_hash[:16]}"

  def check_images(self, images: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != 4:
      raise DataFormatError(f"feature network {self.name!r} takes uint8 images [N, H, W, C], got "
                            f"{images.dtype} of shape {images.shape}; convert with "
                            f"ganjax.images.to_uint8.")
    shape = tuple(images.shape[1:])
    if self.image_shape is not None and shape != tuple(self.image_shape) and shape not in self.crop_from:
      also = "".join(f" or {s}" for s in self.crop_from)
      raise DataFormatError(f"feature network {self.name!r} takes images of shape {self.image_shape}"
                            f"{also}, got {shape}; pick a feature network for this size "
                            f"(--feature_net=inception_v3 resizes any image) or resize the images.")

  def __call__(self, images) -> tuple[np.ndarray, np.ndarray]:
    images = np.asarray(images)
    self.check_images(images)
    if self.image_shape is not None and tuple(images.shape[1:]) != tuple(self.image_shape):
      images = centre_crop(images, self.image_shape[:2])
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


def centre_crop(images: np.ndarray, size: Sequence[int]) -> np.ndarray:
  """[N, H, W, C] -> the centre [N, size[0], size[1], C] (the larger margin, if odd, at the end)."""
  top, left = (images.shape[1] - size[0]) // 2, (images.shape[2] - size[1]) // 2
  return images[:, top:top + size[0], left:left + size[1]]


def feature_net_image_shape(name: str) -> tuple[int, ...] | None:
  """The input shape a registered network reads, or None (any), without loading it."""
  shape = getattr(FEATURE_NETS.get(name), "image_shape", None)
  return None if shape is None else tuple(shape)


def accepts_shape(name: str, shape: Sequence[int]) -> bool:
  """Whether network `name` takes images of `shape` (its own, or one it crops), without loading it."""
  required = feature_net_image_shape(name)
  crops = [tuple(s) for s in getattr(FEATURE_NETS.get(name), "crop_from", ())]
  return required is None or tuple(required) == tuple(shape) or tuple(shape) in crops


def _shipped_cnn(name: str, crop_from: tuple = ()):
  """The FEATURE_NETS factory of the shipped classifier `name` (ganjax/metrics/classifier.py)."""
  from ganjax.metrics import classifier
  net = classifier.CLASSIFIERS[name]

  def factory(weights_path: str | None = None, batch_size: int = 500) -> FeatureNet:
    params, sha = classifier.load_weights(weights_path, net)
    return FeatureNet(name=name, apply=classifier.make_apply(params, net), weights_hash=sha,
                      image_shape=net.image_shape, batch_size=batch_size, crop_from=crop_from)

  factory.__doc__ = (f"The shipped {net.dataset} classifier: 128-d features, {net.num_classes} "
                     f"logits. weights_path: another weight file of the same architecture "
                     f"(default: the shipped one).")
  factory.image_shape, factory.crop_from = net.image_shape, crop_from
  return factory


# Fashion-MNIST zero-padded to 32x32 (ganjax/data/translation.py) is read by its centre 28x28.
FEATURE_NETS.register("fashion_mnist_cnn", _shipped_cnn("fashion_mnist_cnn", crop_from=((32, 32, 1),)))
FEATURE_NETS.register("emoji32_cnn", _shipped_cnn("emoji32_cnn"))


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
