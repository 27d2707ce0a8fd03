"""tfds builders for the offline datasets. Each writes ArrayRecord, read back with tfds.data_source.

* `idx_images/fashion_mnist`, `idx_images/mnist`: MNIST-format IDX files from a local directory
  (the tfds "manual_dir"); Debian's `dataset-fashion-mnist` installs Fashion-MNIST under
  /usr/share/datasets/fashion-mnist. `idx_images/fashion_mnist32`: the same images zero-padded
  (black, their background) to 32x32 (ganjax/data/padding.py `pad_to_32`), for generators that
  halve the image size five times; metrics crop the centre 28x28 back.
* `sklearn_digits`: scikit-learn's bundled 8x8 digits, resized to 16x16, for fast tests.
* `toy_mixture/ring8`, `toy_mixture/grid25`: points drawn from the 2-D Gaussian mixtures of
  ganjax.data.mixtures with fixed seeds.

Image examples: {"image": uint8 [H, W, 1], "label": int64 class}.
Point examples: {"point": float32 [2], "label": int64 mode index}.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from ganjax.data.idx import read_idx_split
from ganjax.data.padding import pad_to_32
from ganjax.data.mixtures import MIXTURES

IDX_STEMS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
DIGIT_CLASSES = tuple(str(i) for i in range(10))


def _image_label_features(shape, class_names):
  return tfds.features.FeaturesDict({
      "image": tfds.features.Tensor(shape=shape, dtype=np.uint8),
      "label": tfds.features.ClassLabel(names=list(class_names)),
  })


class IdxImages(tfds.core.GeneratorBasedBuilder):
  """28x28 (or zero-padded 32x32) grayscale images + labels from local IDX files (manual_dir)."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(name="fashion_mnist", description="Fashion-MNIST (Xiao et al. 2017)."),
      tfds.core.BuilderConfig(name="mnist", description="MNIST handwritten digits (LeCun et al.)."),
      tfds.core.BuilderConfig(name="fashion_mnist32",
                              description="Fashion-MNIST zero-padded from 28x28 to 32x32."),
  ]
  PADDED = ("fashion_mnist32",)  # configs whose images are padded to 32x32
  MANUAL_DOWNLOAD_INSTRUCTIONS = (
      "Put train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) "
      "and t10k-labels-idx1-ubyte(.gz) in the manual dir.")

  def _info(self):
    name = self.builder_config.name
    names = FASHION_MNIST_CLASSES if name.startswith("fashion_mnist") else DIGIT_CLASSES
    size = 32 if name in self.PADDED else 28
    return tfds.core.DatasetInfo(builder=self, features=_image_label_features((size, size, 1), names),
                                 supervised_keys=("image", "label"))

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(str(dl_manager.manual_dir), *stems)
            for split, stems in IDX_STEMS.items()}

  def _generate_examples(self, directory, image_stem, label_stem):
    images, labels = read_idx_split(directory, image_stem, label_stem)
    if self.builder_config.name in self.PADDED:
      images = pad_to_32(images[..., None])[..., 0]
    for i, (image, label) in enumerate(zip(images, labels)):
      yield i, {"image": image[..., None], "label": int(label)}


class SklearnDigits(tfds.core.GeneratorBasedBuilder):
  """scikit-learn's 1797 bundled 8x8 digits, upsampled to 16x16 (bilinear), 80/20 train/test."""

  VERSION = tfds.core.Version("1.0.0")
  SIZE = 16

  def _info(self):
    return tfds.core.DatasetInfo(
        builder=self, features=_image_label_features((self.SIZE, self.SIZE, 1), DIGIT_CLASSES),
        supervised_keys=("image", "label"))

  def _split_generators(self, dl_manager):
    del dl_manager  # the data ships inside scikit-learn
    return {"train": self._generate_examples("train"), "test": self._generate_examples("test")}

  def _generate_examples(self, split):
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
    n_train = int(0.8 * len(images))
    idx = range(n_train) if split == "train" else range(n_train, len(images))
    for i in idx:
      big = Image.fromarray(images[i]).resize((self.SIZE, self.SIZE), Image.BILINEAR)
      yield i, {"image": np.asarray(big, np.uint8)[..., None], "label": int(digits.target[i])}


class ToyMixture(tfds.core.GeneratorBasedBuilder):
  """Points from a 2-D Gaussian mixture: 25k train and 5k test, each split with its own fixed seed."""

  VERSION = tfds.core.Version("1.0.0")
  BUILDER_CONFIGS = [
      tfds.core.BuilderConfig(name="ring8", description="8 Gaussians on a circle of radius 2, std 0.02."),
      tfds.core.BuilderConfig(name="grid25", description="5x5 grid of Gaussians, spacing 2, std 0.05."),
  ]
  SPLITS = {"train": (25_000, 0), "test": (5_000, 1)}  # split -> (number of points, seed)

  def _info(self):
    mixture = MIXTURES.get(self.builder_config.name)
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "point": tfds.features.Tensor(shape=(2,), dtype=np.float32),
        "label": tfds.features.ClassLabel(num_classes=mixture.num_modes),
    }), supervised_keys=("point", "label"))

  def _split_generators(self, dl_manager):
    del dl_manager  # procedural
    return {split: self._generate_examples(n, seed) for split, (n, seed) in self.SPLITS.items()}

  def _generate_examples(self, n, seed):
    points, modes = MIXTURES.get(self.builder_config.name).sample(n, seed)
    for i, (point, mode) in enumerate(zip(points, modes)):
      yield i, {"point": point, "label": int(mode)}
