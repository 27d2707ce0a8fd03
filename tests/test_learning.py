"""The seed DCGAN learns Fashion-MNIST in a few CPU minutes: a classifier sees most classes."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from ganjax.data.pipeline import read_examples
from ganjax.data.sources import data_source
from ganjax.inference.sampling import draw_samples
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate

STEPS = 600
NUM_SAMPLES = 1000


class _Classifier(nn.Module):
  """A small CNN judge: images [B, 28, 28, 1] in [-1, 1] -> logits [B, 10]."""

  @nn.compact
  def __call__(self, x):
    x = nn.relu(nn.Conv(32, (3, 3), (2, 2))(x))
    x = nn.relu(nn.Conv(64, (3, 3), (2, 2))(x))
    x = nn.relu(nn.Dense(128)(x.reshape(x.shape[0], -1)))
    return nn.Dense(10)(x)


def _images(split, n, seed):
  cfg = ml_collections.ConfigDict(dict(name="fashion_mnist", source_dir=None, data_dir=None))
  src = data_source(cfg, split)
  idx = np.random.default_rng(seed).choice(len(src), n, replace=False)
  examples = read_examples(src, idx)  # one batched read, in idx order
  return examples["image"].astype(np.float32) / 127.5 - 1.0, np.asarray(examples["label"])


def _train_classifier(x, y, epochs=4, batch=128):
  """Trains the judge with outlier exposure (Hendrycks et al. 2019): each batch also holds uniform
  noise images whose target is the uniform distribution. A plain CNN classifies uniform noise with
  ~0.85 mean confidence (measured), as high as real test images, so its confidence could not tell
  samples from noise; this one abstains on noise and stays confident on real images."""
  model = _Classifier()
  params = model.init(jax.random.PRNGKey(0), x[:1])
  tx = optax.adam(1e-3)
  opt = tx.init(params)

  @jax.jit
  def step(params, opt, xb, yb, noise):
    def loss(p):
      ce = optax.softmax_cross_entropy_with_integer_labels(model.apply(p, xb), yb).mean()
      outlier = -jnp.mean(jax.nn.log_softmax(model.apply(p, noise)))  # CE to the uniform target
      return ce + 0.5 * outlier
    grads = jax.grad(loss)(params)
    updates, opt = tx.update(grads, opt)
    return optax.apply_updates(params, updates), opt

  rng = np.random.default_rng(1)
  for _ in range(epochs):
    perm = rng.permutation(len(x))
    for i in range(0, len(x) - batch + 1, batch):
      noise = rng.uniform(-1, 1, (batch // 4, *x.shape[1:])).astype(np.float32)
      params, opt = step(params, opt, x[perm[i:i + batch]], y[perm[i:i + batch]], noise)
  return jax.jit(lambda xb: jax.nn.softmax(model.apply(params, xb)))


@pytest.mark.slow
def test_dcgan_samples_spread_over_fashion_mnist_classes(tmp_path):
  from experiments.configs import dcgan_fashion_mnist
  cfg = dcgan_fashion_mnist.get_config()
  cfg.num_train_steps, cfg.sample_every, cfg.checkpoint_every, cfg.log_every = STEPS, 0, STEPS, 100
  state = train_and_evaluate(cfg, str(tmp_path))
  samples = draw_samples(build_experiment(cfg), state, NUM_SAMPLES, seed=1)  # uint8 [N, 28, 28, 1]
  assert samples.shape == (NUM_SAMPLES, 28, 28, 1)

  classify = _train_classifier(*_images("train", 20000, seed=0))
  x_test, y_test = _images("test", 2000, seed=0)
  probs_test = np.asarray(classify(x_test))
  accuracy = float(np.mean(probs_test.argmax(1) == y_test))
  probs = np.asarray(classify(samples.astype(np.float32) / 127.5 - 1.0))
  noise = np.random.default_rng(2).uniform(-1, 1, samples.shape).astype(np.float32)
  probs_noise = np.asarray(classify(noise))

  fractions = np.bincount(probs.argmax(1), minlength=10) / NUM_SAMPLES
  conf, conf_noise, conf_real = (float(p.max(1).mean()) for p in (probs, probs_noise, probs_test))
  print(f"classifier test accuracy {accuracy:.3f}; class fractions {np.round(fractions, 3).tolist()}; "
        f"mean confidence: samples {conf:.3f}, real test {conf_real:.3f}, uniform noise {conf_noise:.3f}")
  assert accuracy > 0.8, "the judge itself must be competent"
  assert np.sum(fractions >= 0.02) >= 8, f"samples cover too few classes: {fractions}"
  assert conf > conf_noise + 0.3, (conf, conf_noise)
  assert conf > 0.75 * conf_real, "samples must be nearly as recognisable as real images"
