"""tfds builders of the super-resolution datasets: each example holds a high-resolution image and
its low-resolution copy as two fields of their own shapes (ganjax/data/schema.py).

* `fashion_mnist_sr4`: Fashion-MNIST's images as "hr" (uint8 [28, 28, 1]) and "lr" (uint8
  [7, 7, 1]), with "label"; train (60000) / test (10000) follow Fashion-MNIST's splits (the Debian
  IDX files of `dataset-fashion-mnist`). The LR image is Pillow's
  `Image.resize((7, 7), Image.BICUBIC)` of the uint8 HR image (Pillow widens the bicubic kernel by
  the scale when shrinking, i.e. antialiased, as MATLAB's `imresize` that the SRGAN and ESRGAN
  papers use), so anyone can rebuild every LR input from the HR image alone.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

from ganjax.data.builders import FASHION_MNIST_CLASSES, IDX_STEMS
from ganjax.data.idx import read_idx_split
from ganjax.images import bicubic_resize

SCALE = 4
HR_SIZE = 28
LR_SIZE = HR_SIZE // SCALE


class FashionMnistSr4(tfds.core.GeneratorBasedBuilder):
  """Fashion-MNIST 4x: {"hr": uint8 [28, 28, 1], "lr": uint8 [7, 7, 1], "label": int64}."""

  VERSION = tfds.core.Version("1.0.0")
  MANUAL_DOWNLOAD_INSTRUCTIONS = "The manual dir holds Fashion-MNIST's four IDX files."

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict({
        "hr": tfds.features.Tensor(shape=(HR_SIZE, HR_SIZE, 1), dtype=np.uint8),
        "lr": tfds.features.Tensor(shape=(LR_SIZE, LR_SIZE, 1), dtype=np.uint8),
        "label": tfds.features.ClassLabel(names=list(FASHION_MNIST_CLASSES))}))

  def _split_generators(self, dl_manager):
    return {split: self._generate_examples(str(dl_manager.manual_dir), *stems)
            for split, stems in IDX_STEMS.items()}

  def _generate_examples(self, directory, image_stem, label_stem):
    images, labels = read_idx_split(directory, image_stem, label_stem)
    for i, (image, label) in enumerate(zip(images, labels)):
      hr = image[..., None]
      yield i, {"hr": hr, "lr": bicubic_resize(hr[None], (LR_SIZE, LR_SIZE))[0], "label": int(label)}
