"""Toy-mixture runs during training: toy metrics into metrics.jsonl and a scatter plot of samples
against the modes in WORKDIR/samples/step_XXXXXXX.png. The training loop calls `report_mixture`
wherever it writes sample grids; it does nothing for datasets that are not a ganjax.data.mixtures
entry."""

from __future__ import annotations

import os

import jax
import numpy as np
from PIL import Image, ImageDraw

from ganjax.data.mixtures import MIXTURES, Mixture
from ganjax.metrics.toy import HQ_STDS, NUM_SAMPLES, toy_metrics
from ganjax.core.keys import fixed_noise_key


def scatter_image(samples, mixture: Mixture, size: int = 480) -> np.ndarray:
  """samples: [N, 2] -> uint8 [size, size, 3] RGB plot: samples as blue dots, each mode's
  high-quality disc (radius 3 std) as a red circle. The view spans the modes plus a margin of a
  quarter of their extent; samples outside it are drawn on its border so none vanish."""
  lo, hi = mixture.centers.min(0), mixture.centers.max(0)
  half = 0.5 * float(np.max(hi - lo)) * 1.25 + 10 * mixture.std
  mid = 0.5 * (lo + hi)
  scale = (size - 1) / (2 * half)

  def to_px(xy):  # data (x, y) -> pixel (col, row), y up
    col = (np.asarray(xy)[..., 0] - mid[0] + half) * scale
    row = (half - (np.asarray(xy)[..., 1] - mid[1])) * scale
    return np.clip(np.stack([col, row], -1), 0, size - 1)

  img = Image.new("RGB", (size, size), "white")
  draw = ImageDraw.Draw(img)
  for c, r in to_px(np.asarray(samples, np.float32)):
    draw.ellipse([c - 1.5, r - 1.5, c + 1.5, r + 1.5], fill=(31, 119, 180))
  radius = max(HQ_STDS * mixture.std * scale, 3.0)
  for c, r in to_px(mixture.centers):
    draw.ellipse([c - radius, r - radius, c + radius, r + radius], outline=(214, 39, 40), width=2)
  return np.asarray(img)


def report_mixture(exp, state, workdir: str, step: int, writer) -> dict[str, float] | None:
  """For a toy-mixture dataset: draws `config.toy_metric_samples` (default 2500) EMA samples
  from fixed latents, logs {"toy/modes", "toy/hq_percent", "toy/reverse_kl"} at `step` with
  `writer` (a ganjax.reporting.MetricWriter) and saves the scatter plot; returns the metrics.
  Other datasets: returns None. Every process samples (the state may span all of them);
  process 0 writes."""
  name = exp.config.dataset.name
  if name not in MIXTURES:
    return None
  mixture = MIXTURES.get(name)
  num = exp.config.get("toy_metric_samples", NUM_SAMPLES)
  samples = np.asarray(jax.device_get(exp.sample(state, fixed_noise_key(exp.config), num)))
  metrics = {f"toy/{k}": v for k, v in toy_metrics(samples, mixture.centers, mixture.std).items()}
  writer.write_scalars(step, metrics)
  if jax.process_index() == 0:
    path = os.path.join(workdir, "samples", f"step_{step:07d}.png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(scatter_image(samples, mixture)).save(path)
  return metrics
