"""Metrics of super-resolution runs (a family whose samples are upscaled "lowres" inputs: srresnet,
srgan, esrgan; the Conditioned capability with a required field of role "lowres"), as the SRGAN
and ESRGAN papers score them, on the dataset's reference split (test for fashion_mnist_sr4):

  psnr   mean over images of 10 log10(255^2 / MSE) between output and HR, uint8, on the Y channel
         of ITU-R BT.601 (MATLAB's rgb2ycbcr: Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255)
         for colour images, on the one channel for grey ones, with a border of `scale` pixels cut
         off every side (the papers' protocol: 4 px at 4x); also "bicubic/psnr"
  ssim   scikit-image's SSIM (7x7 window, data range 255) on the same crops; also "bicubic/ssim"
  fid    the generic FID: for an upsampler the samples are G(lr) of the split's first N inputs,
         scored against the split's HR statistics with the dataset's feature network
  bicubic  "bicubic/fid": the same FID of Pillow-bicubic upscaled inputs (the baseline)
The bicubic baseline upscales the stored uint8 LR with Pillow's BICUBIC resize, the inverse of how
the LR was made (ganjax/data/superres.py).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from ganjax.core.capabilities import Conditioned, supports
from ganjax.images import bicubic_resize

Y_WEIGHTS = np.array([65.481, 128.553, 24.966]) / 255.0  # MATLAB rgb2ycbcr, uint8 RGB -> Y


def lowres_field(exp) -> str | None:
  """The lowres field a run's samples are upscaled from (e.g. "lr"), or None when the run is not
  an upsampler (its objective samples without an input, or from a field of another role)."""
  objective = getattr(exp, "objective", None)
  if not (supports(objective, Conditioned) and objective.required_cond):
    return None
  names = [f for f in objective.required_cond if f in exp.spec.fields]
  if names and all(exp.spec.field(f).role == "lowres" for f in names):
    return names[0]
  return None


def luminance(images: np.ndarray) -> np.ndarray:
  """uint8 [N, H, W, C] -> float64 [N, H, W, 1]: Y (BT.601, 16..235) for C = 3, the channel for
  C = 1 (values 0..255)."""
  x = np.asarray(images, np.float64)
  if x.shape[-1] == 1:
    return x
  if x.shape[-1] != 3:
    raise ValueError(f"PSNR reads grey or RGB images, got {x.shape[-1]} channels.")
  return (16.0 + x @ Y_WEIGHTS)[..., None]


def crop_border(images: np.ndarray, border: int) -> np.ndarray:
  """[N, H, W, C] -> [N, H - 2 border, W - 2 border, C]."""
  return images[:, border:images.shape[1] - border, border:images.shape[2] - border] if border \
      else images


def psnr(a: np.ndarray, b: np.ndarray, *, border: int = 0) -> float:
  """Mean per-image PSNR in dB of uint8 images a, b [N, H, W, C] on Y (or the grey channel) with
  `border` pixels cut; identical images count as 100 dB (a cap, so the mean stays finite)."""
  x, y = crop_border(luminance(a), border), crop_border(luminance(b), border)
  mse = np.mean((x - y) ** 2, axis=(1, 2, 3))
  values = np.where(mse > 0, 10.0 * np.log10(255.0 ** 2 / np.maximum(mse, 1e-12)), 100.0)
  return float(np.mean(values))


def ssim(a: np.ndarray, b: np.ndarray, *, border: int = 0) -> float:
  """Mean SSIM of uint8 images a, b [N, H, W, C] on Y (or grey), `border` pixels cut."""
  from ganjax.metrics.translation import mean_ssim
  x, y = crop_border(luminance(a), border), crop_border(luminance(b), border)
  return mean_ssim(x, y)


def scale_of(hr: np.ndarray, lr: np.ndarray) -> int:
  """The upscaling factor H / h of batches hr [N, H, W, C] and lr [N, h, w, C]."""
  return hr.shape[1] // lr.shape[1]


class Pairs:
  """The split's first `num` (HR, LR) pairs of an upsampler run, stored uint8, read once per
  Scorer (`prepare`): hr [n, H, W, C], lr [n, h, w, C]."""

  def __init__(self, scorer):
    from ganjax.data.pipeline import read_examples
    from ganjax.data.sources import data_source
    exp = scorer.source.exp
    low = lowres_field(exp)
    source = data_source(scorer.dataset_cfg, scorer.split)
    n = len(source) if scorer.num is None else min(scorer.num, len(source))
    arrays = read_examples(source, np.arange(n))
    self.hr = arrays[exp.spec.primary.source_name]
    self.lr = arrays[exp.spec.field(low).source_name]
    self.scale = scale_of(self.hr, self.lr)
    self.scorer = scorer

  def bicubic(self) -> np.ndarray:
    return bicubic_resize(self.lr, self.hr.shape[1:3])


class OutputsTap:
  """Passes the uint8 sample batches (G(lr) of the split's inputs, in order) through while
  keeping them, for PSNR and SSIM against the HR images."""

  def __init__(self, batches: Iterable, pairs: Pairs):
    self.batches, self.pairs, self.kept = batches, pairs, []

  def __iter__(self):
    for images in self.batches:
      self.kept.append(np.asarray(images))
      yield images

  def scores(self, name: str, fn) -> dict[str, float]:
    """{name: fn(outputs, hr), "bicubic/<name>": fn(bicubic, hr)} over the images seen."""
    outputs = np.concatenate(self.kept)
    hr = self.pairs.hr[:len(outputs)]
    bicubic = bicubic_resize(self.pairs.lr[:len(outputs)], hr.shape[1:3])
    border = self.pairs.scale
    return {name: fn(outputs, hr, border=border), f"bicubic/{name}": fn(bicubic, hr, border=border)}


def bicubic_fid(pairs: Pairs) -> dict[str, float]:
  """{"bicubic/fid"}: FID of the bicubic upscaled inputs against the scorer's real statistics."""
  from ganjax.metrics import fid as fid_lib
  from ganjax.metrics.summary import summarize, batches_of
  scorer = pairs.scorer
  fake = summarize(scorer.net, batches_of(pairs.bicubic(), None, batch_size=scorer.net.batch_size),
                   keep_features=1)
  return {"bicubic/fid": fid_lib.fid(scorer.real, fake)}
