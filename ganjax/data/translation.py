"""tfds builders of the image-to-image translation datasets, made from Fashion-MNIST's IDX files
(Debian's `dataset-fashion-mnist`), each image zero-padded from 28x28 to 32x32 so that U-Net and
ResNet generators halve it five times; metrics crop the centre 28x28 back (`crop_to_fashion_mnist`).

* `edges2fashion` (paired, pix2pix): {"source": the image's edge map (Canny, sigma 1, white lines on
  black), "target": the image, "label": its class}; train/test follow Fashion-MNIST's splits.
* `sneaker2boot` (unpaired, CycleGAN): domain a = sneakers (class 7), b = ankle boots (9).
* `bag2shoe` (unpaired, DiscoGAN): a = bags (8), b = sandals, sneakers and ankle boots (5, 7, 9).
  Unpaired builders have splits train_a, train_b, test_a, test_b of {"image", "label"}.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from ganjax.data.builders import FASHION_MNIST_CLASSES, IDX_STEMS
from ganjax.data.idx import read_idx_split
from ganjax.data.padding import SIZE, pad_to_32

DOMAIN_CLASSES = {
    "sneaker2boot": {"a": (7,), "b": (9,)},
    "bag2shoe": {"a": (8,), "b": (5, 7, 9)},
}


def edge_map(image: np.ndarray) -> np.ndarray:
  """uint8 [28, 28] -> uint8 [28, 28]: 255 on Canny edges (sigma 1), 0 elsewhere."""
  from skimage.feature import canny
  return np.where(canny(image.astype(np.float64) / 255.0, sigma=1.0), 255, 0).astype(np.uint8)


def _read_split(directory: str, split: str) -> tuple[np.ndarray, np.ndarray]:
  return read_idx_split(directory, *IDX_STEMS[split])


def _image_tensor():
  return tfds.features.Tensor(shape=(SIZE, SIZE, 1), dtype=np.uint8)


class Edges2Fashion(tfds.core.GeneratorBasedBuilder):
  """Fashion-MNIST images (targets) with their edge maps (sources), padded to 32x32."""

  VERSION = tfds.core.Version("1.0.0")
  MANUAL_DOWNLOAD_INSTRUCTIONS = "The manual dir holds Fashion-MNIST's four IDX files."

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "source": _image_tensor(), "target": _image_tensor(),
        "label": tfds.features.ClassLabel(names=list(FASHION_MNIST_CLASSES))}))

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(str(dl_manager.manual_dir), split) for split in IDX_STEMS}

  def _generate_examples(self, directory, split):
    images, labels = _read_split(directory, split)
    for i, (image, label) in enumerate(zip(images, labels)):
      yield i, {"source": pad_to_32(edge_map(image)[..., None]),
                "target": pad_to_32(image[..., None]), "label": int(label)}


class FashionDomains(tfds.core.GeneratorBasedBuilder):
  """Two domains of Fashion-MNIST classes, padded to 32x32, as splits <train|test>_<a|b>."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(name="sneaker2boot", description="a: sneakers, b: ankle boots."),
      tfds.core.BuilderConfig(name="bag2shoe", description="a: bags, b: sandals, sneakers, boots."),
  ]
  MANUAL_DOWNLOAD_INSTRUCTIONS = "The manual dir holds Fashion-MNIST's four IDX files."

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "image": _image_tensor(), "label": tfds.features.ClassLabel(names=list(FASHION_MNIST_CLASSES))}))

  def _split_generators(self, dl_manager):
    classes = DOMAIN_CLASSES[self.builder_config.name]
    return {f"{split}_{domain}": self._generate_examples(str(dl_manager.manual_dir), split, wanted)
            for split in IDX_STEMS for domain, wanted in classes.items()}

  def _generate_examples(self, directory, split, wanted):
    images, labels = _read_split(directory, split)
    for i in np.flatnonzero(np.isin(labels, wanted)):
      yield int(i), {"image": pad_to_32(images[i][..., None]), "label": int(labels[i])}
