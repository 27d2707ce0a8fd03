"""Metrics of image-to-image translation (pix2pix, CycleGAN, DiscoGAN), per direction, on the
dataset's test split (the "translation" metric of evaluate.py and periodic evaluation):

  fid            FID of the translated test inputs against the target domain's test images
                 (unpaired) or the held-out targets (paired), both read by the shipped Fashion-MNIST
                 CNN at its 28x28 (it crops the 32x32 data's zero border off: FeatureNet.crop_from)
  accuracy       the share of translations the shipped classifier puts in the expected classes:
                 the source's class for paired data (pix2pix keeps the garment), any class of the
                 target domain for unpaired data (a translated sneaker should read as a boot)
  cycle_l1       mean |x - F(G(x))| in [0, 1] pixel units, when the model maps back
  l1, ssim       paired data: mean |G(x) - y| in [0, 1] pixel units and the mean SSIM (scikit-image,
                 7x7 window, 28x28 crops) against the held-out targets
  num_inputs     the test inputs scored: `num`, or the whole split when it holds fewer (then a
                 warning says so; the row never claims more inputs than it read)
Columns are "<direction>/<name>" (e.g. "a2b/accuracy"). Runs are duck-typed; nothing from train.
"""

from __future__ import annotations

from absl import logging
import numpy as np

from ganjax.data.padding import crop_to_fashion_mnist
from ganjax.metrics import fid as fid_lib
from ganjax.metrics.summary import MomentAccumulator
from ganjax.inference.translation import (check_translator, domain_images, reverse_of, test_examples,
                                translate_images)

TRANSLATION = "translation"


def _moments(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """(mean, unbiased covariance) in float64, as every other FID in ganjax (summary.py)."""
  acc = MomentAccumulator()
  acc.add(features)
  return acc.moments()


def mean_ssim(a: np.ndarray, b: np.ndarray) -> float:
  """Mean SSIM of uint8 image pairs a, b [N, H, W, C] (scikit-image, data range 255)."""
  from skimage.metrics import structural_similarity
  return float(np.mean([structural_similarity(x, y, data_range=255, channel_axis=-1)
                        for x, y in zip(a, b)]))


def expected_classes(exp, direction: str, labels: np.ndarray) -> list[np.ndarray]:
  """Per example, the classes a correct translation may have: its own label for paired data,
  the target domain's classes for unpaired data (spec.domain_classes)."""
  if not exp.spec.domains:
    return [np.asarray([y]) for y in labels]
  target = exp.objective.directions[direction][1]
  classes = np.asarray(exp.spec.domain_classes[target])
  return [classes] * len(labels)


def translation_scores(exp, state, net, *, num: int | None = None, ema: bool = True) -> dict:
  """{"<direction>/<metric>": float} for every direction of the run (see the module docstring);
  net: the fashion_mnist_cnn FeatureNet; num: test inputs per direction (default: all)."""
  check_translator(exp)
  scores = {}
  for direction, (_, dst) in exp.objective.directions.items():
    ex = test_examples(exp, direction, num)
    scores[f"{direction}/num_inputs"] = float(len(ex["inputs"]))
    if num is not None and len(ex["inputs"]) < num:
      logging.warning("%s: %d test inputs asked for, the split holds %d: scored all %d.",
                      direction, num, len(ex["inputs"]), len(ex["inputs"]))
    outputs = translate_images(exp, state, ex["inputs"], direction, ema=ema)
    fake_features, logits = net(outputs)  # the net reads the centre 28x28 (its crop_from)
    real_images = domain_images(exp, dst) if exp.spec.domains else ex["targets"]
    real_features, _ = net(real_images)
    predicted = np.argmax(logits, -1)
    allowed = expected_classes(exp, direction, ex["labels"])
    scores[f"{direction}/accuracy"] = float(np.mean([p in c for p, c in zip(predicted, allowed)]))
    scores[f"{direction}/fid"] = fid_lib.frechet_distance(*_moments(fake_features),
                                                          *_moments(real_features))
    back = reverse_of(exp, direction)
    if back is not None:
      rec = translate_images(exp, state, outputs, back, ema=ema)
      scores[f"{direction}/cycle_l1"] = float(np.mean(np.abs(rec.astype(np.float32) -
                                                              ex["inputs"].astype(np.float32))) / 255)
    if "targets" in ex:
      diff = np.abs(outputs.astype(np.float32) - ex["targets"].astype(np.float32))
      scores[f"{direction}/l1"] = float(np.mean(crop_to_fashion_mnist(diff))) / 255
      scores[f"{direction}/ssim"] = mean_ssim(crop_to_fashion_mnist(outputs),
                                              crop_to_fashion_mnist(ex["targets"]))
  return scores
