"""Perceptual path length in W (Karras et al. 2019, Sec. 3; the StyleGAN2 variant, Karras et al.
2020, Sec. 3.2 and its metrics/perceptual_path_length.py): how much the image changes, perceptually,
along short steps of straight paths in the style space W.

  w0, w1 = map(z0), map(z1);   t ~ U(0, 1)
  x_a = synthesize(lerp(w0, w1, t)),  x_b = synthesize(lerp(w0, w1, t + eps))   (shared noise)
  PPL = mean over samples, between the 1st and 99th percentile, of d(x_a, x_b) / eps^2

d is the paper's LPIPS, whose VGG weights ganjax cannot load offline. The substitute keeps LPIPS's
form on the dataset's shipped domain classifier (ganjax/metrics/classifier.py): the squared
distance between unit-normalised 128-d penultimate features of the two images, read in float (a
step of eps = 1e-4 in W moves pixels far less than one uint8 level). Figures are therefore
comparable between runs on the same dataset and classifier, not with published PPLs.

  ppl(exp, state, num=2000, epsilon=1e-4, seed=0)   # -> {"ppl": ..., "ppl_median": ...}
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.errors import ConfigError
from ganjax.data.sources import dataset_spec
from ganjax.metrics import classifier
from ganjax.metrics.features import centre_crop
from ganjax.inference.sampling import cached_jit
from ganjax.inference.style_space import check_style_space, draw_codes, map_latents, synthesize

PPL = "ppl"
EPSILON = 1e-4  # the paper's step in W


def domain_classifier(dataset: str) -> classifier.Classifier:
  """The shipped classifier the dataset's spec names (`classifier`; fashion_mnist32 reads
  fashion_mnist's through its centre 28x28)."""
  name = dataset_spec(dataset).classifier
  if name not in classifier.CLASSIFIERS:
    raise ConfigError(f"metric {PPL!r} measures distances with a shipped domain classifier; "
                      f"dataset {dataset!r} names none (shipped: "
                      f"{', '.join(f'{c.name} ({c.dataset})' for c in classifier.CLASSIFIERS.values())}).")
  return classifier.CLASSIFIERS[name]


def feature_distance(params, net: classifier.Classifier):
  """(x_a, x_b float32 [B, H, W, C] in about [-1, 1]) -> [B]: squared distance of the
  classifier's unit-normalised features, images clipped to [0, 1] and centre-cropped to its input."""
  model = net.model()

  def features(x):
    x = centre_crop(jnp.clip((x + 1.0) / 2.0, 0.0, 1.0), net.image_shape[:2])
    f, _ = model.apply({"params": params}, x, train=False)
    return f / jnp.sqrt(jnp.sum(jnp.square(f), axis=-1, keepdims=True) + 1e-10)

  return lambda a, b: jnp.sum(jnp.square(features(a) - features(b)), axis=-1)


def filtered_mean(values: np.ndarray) -> float:
  """Mean of the values between their 1st and 99th percentiles (the reference's outlier filter)."""
  lo, hi = np.percentile(values, 1, method="lower"), np.percentile(values, 99, method="higher")
  kept = values[(values >= lo) & (values <= hi)]
  return float(np.mean(kept))


def path_length_samples(exp, state, num: int, *, epsilon: float = EPSILON, seed: int = 0,
                        batch_size: int = 100, ema: bool = True) -> np.ndarray:
  """num per-sample path lengths d(x_a, x_b) / eps^2, float64 [num] (module docstring)."""
  check_style_space(exp, f"metric {PPL!r}")
  if not num >= 2:
    raise ConfigError(f"metric {PPL!r} needs at least 2 samples, got {num}.")
  net = domain_classifier(exp.config.dataset.name)
  # Weights read and the distance compiled once per experiment (periodic evaluation calls this often).
  distance = cached_jit(exp, f"ppl.{net.name}", lambda: jax.jit(
      feature_distance(classifier.load_weights(net=net)[0], net)))
  key = jax.random.PRNGKey(seed)
  out = []
  for i, start in enumerate(range(0, num, batch_size)):
    n = min(batch_size, num - start)
    kc, kt = jax.random.split(jax.random.fold_in(key, i))
    codes = draw_codes(exp, kc, 2 * n)
    ws = np.asarray(map_latents(exp, state, codes["z"], ema=ema))
    t = np.asarray(jax.random.uniform(kt, (n, 1, 1)))
    w0, w1 = ws[:n], ws[n:]
    wa, wb = w0 + t * (w1 - w0), w0 + (t + epsilon) * (w1 - w0)
    noise = np.concatenate([codes["noise"][:n]] * 2)
    images = synthesize(exp, state, np.concatenate([wa, wb]), noise, ema=ema)
    out.append(np.asarray(distance(images[:n], images[n:]), np.float64) / epsilon ** 2)
  return np.concatenate(out)


def ppl(exp, state, num: int = 2000, *, epsilon: float = EPSILON, seed: int = 0,
        batch_size: int = 100, ema: bool = True) -> dict[str, float]:
  """{"ppl": the filtered mean path length, "ppl_median": the median} of `num` paths."""
  lengths = path_length_samples(exp, state, num, epsilon=epsilon, seed=seed,
                                batch_size=batch_size, ema=ema)
  return {"ppl": filtered_mean(lengths), "ppl_median": float(np.median(lengths))}
