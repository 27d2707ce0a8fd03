"""The shipped Fashion-MNIST feature network and the metrics seen through it, on real data."""

import os

import ml_collections
import numpy as np
import pytest

from ganjax.errors import ConfigError, DataFormatError
from ganjax.metrics import classifier
from ganjax.metrics.evaluation import evaluate, reference_path, reference_summary
from ganjax.metrics.features import FEATURE_NETS, build_feature_net
from ganjax.metrics.data import load_split
from ganjax.metrics.summary import batches_of

FASHION = ml_collections.ConfigDict(dict(name="fashion_mnist", source_dir=None, data_dir=None))


@pytest.fixture(scope="module")
def net():
  return build_feature_net("fashion_mnist_cnn")


@pytest.fixture(scope="module")
def test_split():
  return load_split(FASHION, "test")


@pytest.fixture(scope="module")
def real(net, tmp_path_factory):
  return reference_summary(net, FASHION, "test", cache_dir=str(tmp_path_factory.mktemp("cache")))


def test_shipped_classifier_reaches_90_percent_on_the_whole_test_split(net, test_split):
  images, labels = test_split
  features, logits = net(images)
  accuracy = float(np.mean(logits.argmax(1) == labels))
  assert features.shape == (10_000, classifier.FEATURE_DIM) and features.dtype == np.float32
  assert accuracy >= 0.90
  record = classifier.load_record()
  assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-3)  # the record is this file's
  assert record["weights_sha256"] == net.weights_hash


@pytest.mark.slow
def test_metrics_separate_real_images_from_noise(net, real):
  # Measured (BENCHMARKS.md): FID(2000 train images, test) 0.92, FID(uniform noise, test) 296.
  train_images, _ = load_split(FASHION, "train", limit=2000)
  noise = np.random.default_rng(0).integers(0, 256, (2000, 28, 28, 1), dtype=np.uint8)
  metrics = ["fid", "kid", "is", "pr", "dc"]
  on_train = evaluate(net, batches_of(train_images), real, metrics)
  on_noise = evaluate(net, batches_of(noise), real, metrics)
  print(f"\ntrain subset vs test: {on_train}\nuniform noise vs test: {on_noise}")
  assert on_train["fid"] < 0.01 * on_noise["fid"]
  assert abs(on_train["kid_mean"]) < 0.01 * on_noise["kid_mean"]
  assert on_train["precision"] > 0.7 and on_train["recall"] > 0.7
  assert on_train["density"] > 0.7 and on_train["coverage"] > 0.8
  assert on_train["is_mean"] > 7.0  # ceiling 10; confusable classes (shirt/T-shirt/coat) keep it lower
  # Noise maps to (nearly) one feature vector and one class: no recall, no coverage, IS about 1.
  # (Its precision can be high: that point can fall inside an outlier real's large k-NN ball, the
  # weakness density/coverage were made for; see docs/metrics.md.)
  assert on_noise["recall"] < 0.05 and on_noise["coverage"] < 0.05
  assert on_noise["is_mean"] < 1.5


def test_inception_score_of_the_test_split_is_near_the_class_count(net, real):
  from ganjax.metrics.inception_score import inception_score
  mean, std = inception_score(real.logits)
  assert 7.0 < mean <= 10.0 and std < 0.5  # see test_metrics_separate_real_images_from_noise


def test_reference_stats_cache_is_keyed_by_weights(net, tmp_path):
  first = reference_summary(net, FASHION, "test", limit=600, keep_features=500, cache_dir=str(tmp_path))
  path = reference_path(net, "fashion_mnist", "test", 600, 500, str(tmp_path))
  assert os.path.isfile(path) and net.weights_hash[:16] in os.path.basename(path)
  again = reference_summary(net, FASHION, "test", limit=600, keep_features=500, cache_dir=str(tmp_path))
  np.testing.assert_array_equal(again.cov, first.cov)
  assert first.features.shape == (500, classifier.FEATURE_DIM) and first.logits.shape == (600, 10)
  assert sorted(first.class_moments) == list(range(10))  # labels give per-class moments
  # Other weights of the same network never reuse this file.
  other = build_feature_net("fashion_mnist_cnn", weights_path=_perturbed_weights(tmp_path))
  assert reference_path(other, "fashion_mnist", "test", 600, 500, str(tmp_path)) != path


def _perturbed_weights(tmp_path):
  import jax
  params, _ = classifier.load_weights()
  path = str(tmp_path / "perturbed.msgpack")
  classifier.save_weights(jax.tree.map(lambda p: p * 1.01, params), path)
  return path


def test_intra_class_fid_of_real_halves_is_small(net, test_split):
  from ganjax.metrics.fid import intra_class_fid
  from ganjax.metrics.summary import summarize
  images, labels = test_split
  a = summarize(net, batches_of(images[:5000], labels[:5000]))
  b = summarize(net, batches_of(images[5000:], labels[5000:]))
  shuffled = summarize(net, batches_of(images[5000:], np.random.default_rng(0).permutation(labels[5000:])))
  assert intra_class_fid(a, b) < 0.1 * intra_class_fid(a, shuffled)  # wrong labels: large


def test_feature_net_errors_name_the_fix(net):
  with pytest.raises(DataFormatError, match="takes images of shape"):
    net(np.zeros((2, 16, 16, 1), np.uint8))
  with pytest.raises(DataFormatError, match="uint8"):
    net(np.zeros((2, 28, 28, 1), np.float32))
  with pytest.raises(ConfigError, match="Valid feature network names: .*fashion_mnist_cnn"):
    build_feature_net("inceptoin")
  assert "fashion_mnist_cnn" in FEATURE_NETS


@pytest.mark.slow
def test_inception_v3_is_registered_with_a_weights_path(tmp_path):
  from ganjax.metrics import inception
  rng = np.random.default_rng(0)
  np.savez(tmp_path / "random.npz", **{k: rng.normal(0, 0.05, s).astype(np.float32)
                                       for k, s in inception.expected_state_dict_shapes().items()})
  net = build_feature_net("inception_v3", weights_path=str(tmp_path / "random.npz"), batch_size=2)
  features, logits = net(np.zeros((3, 28, 28, 1), np.uint8))  # any size: resized to 299
  assert features.shape == (3, 2048) and logits.shape == (3, 1008)
  assert net.cache_key.startswith("inception_v3-")
