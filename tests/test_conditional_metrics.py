"""Metrics for conditional and latent-code GANs (ganjax/metrics/conditional.py): the pure pieces by
hand, the k-means baseline on the digits, and the evaluate path on tiny untrained runs."""

import ml_collections
import numpy as np
import pytest

from ganjax.errors import ConfigError
from ganjax.metrics import conditional as cond
from ganjax.metrics.data import load_split
from ganjax.metrics.features import FEATURE_NETS, FeatureNet

DIGITS = ml_collections.ConfigDict(dict(name="digits", source_dir=None, data_dir=None))
PIXELS = "test_pixels_conditional"


def test_matched_accuracy_of_a_permuted_labelling_is_one():
  labels = np.repeat(np.arange(5), 4)
  perm = np.array([3, 0, 4, 1, 2])
  accuracy, mapping = cond.matched_accuracy(perm[labels], labels, 5)
  assert accuracy == 1.0
  assert mapping == {int(perm[c]): c for c in range(5)}


def test_matched_accuracy_of_a_partial_match_by_hand():
  labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
  codes = np.array([1, 1, 0, 2, 2, 2, 0, 0, 1])
  # confusion (code x label): code0 [1, 0, 2], code1 [2, 0, 1], code2 [0, 3, 0]; the best one-to-one
  # map is 1->0 (2), 2->1 (3), 0->2 (2): 7 of 9 (the identity map gets 1 + 0 + 0).
  accuracy, mapping = cond.matched_accuracy(codes, labels, 3)
  assert accuracy == pytest.approx(7 / 9)
  assert mapping == {0: 2, 1: 0, 2: 1}
  assert cond.matched_per_class(codes, labels, mapping, 3) == pytest.approx([2 / 3, 1.0, 2 / 3])
  # More codes than classes: the unmatched code's examples count as wrong.
  accuracy, mapping = cond.matched_accuracy(np.array([0, 1, 2, 2]), np.array([0, 0, 1, 1]), 3)
  assert accuracy == pytest.approx(3 / 4) and mapping[2] == 1


def test_conditional_accuracy_by_hand():
  predicted = np.array([0, 0, 1, 1, 1, 2, 0])
  requested = np.array([0, 0, 0, 1, 1, 2, 2])
  out = cond.conditional_accuracy(predicted, requested, 4)
  # class 0: 2 of 3, class 1: 2 of 2, class 2: 1 of 2, class 3 never requested (left out of the mean)
  assert out["per_class"][:3] == pytest.approx([2 / 3, 1.0, 0.5]) and np.isnan(out["per_class"][3])
  assert out["conditional_accuracy"] == pytest.approx((2 / 3 + 1.0 + 0.5) / 3)
  assert cond.per_class_columns("conditional_accuracy", out["per_class"]) == pytest.approx(
      {"conditional_accuracy_class_0": 2 / 3, "conditional_accuracy_class_1": 1.0,
       "conditional_accuracy_class_2": 0.5})


def test_kmeans_baseline_beats_chance_on_the_digits():
  images, labels = load_split(DIGITS, "test")  # 360 images, 16x16 (sklearn's 8x8 digits upsampled)
  accuracy = cond.kmeans_baseline(images, labels, k=10, seed=0)
  assert 0.3 < accuracy <= 1.0  # chance is about 0.1; measured 0.69
  with pytest.raises(ConfigError, match="n_init"):
    cond.kmeans_baseline(images, labels, k=10, n_init=1)


# ---------------------------------------------------------------------------- runs, no training

@pytest.fixture(scope="module")
def pixel_net():
  """A feature network of any image size: the mean of each cell of a 4x4 grid (16 features), so
  that the feature metrics run on the 16x16 digits without the 28x28 classifier."""
  def factory(batch_size: int = 100):
    def apply(images):
      x = np.asarray(images, np.float32) / 255.0
      n, h, w, _ = x.shape
      cells = [x[:, i * h // 4:(i + 1) * h // 4, j * w // 4:(j + 1) * w // 4].mean((1, 2, 3))
               for i in range(4) for j in range(4)]
      return np.stack(cells, 1), np.zeros((n, 10), np.float32)
    return FeatureNet(name=PIXELS, apply=apply, weights_hash="0" * 16, batch_size=batch_size)
  FEATURE_NETS.register(PIXELS, factory, overwrite=True)
  yield PIXELS
  FEATURE_NETS._items.pop(PIXELS, None)


def _tiny(config, dataset: str):
  config.dataset.name, config.batch_size = dataset, 8
  config.model.g_base_features, config.model.g_mid_features, config.model.d_features = 8, 8, (8, 8)
  return config


def _run(config):
  from ganjax.train.experiment import build_experiment
  exp = build_experiment(config)
  return exp, exp.init_state()


@pytest.fixture(scope="module")
def cgan_digits():
  from experiments.configs import cgan_fashion_mnist
  return _run(_tiny(cgan_fashion_mnist.get_config(), "digits"))


def test_sample_per_class_draws_each_requested_class(cgan_digits):
  exp, state = cgan_digits
  images, labels = cond.sample_per_class(exp, state, 3, seed=0)
  assert images.shape == (30, 16, 16, 1) and images.dtype == np.uint8
  np.testing.assert_array_equal(labels, np.repeat(np.arange(10), 3))
  # The label reaches G: the same latent batch drawn for other classes gives other images.
  again, _ = cond.sample_per_class(exp, state, 3, seed=0)
  np.testing.assert_array_equal(images, again)
  shifted = next(cond.iter_labelled_samples(exp, state, (labels + 1) % 10, seed=0, batch_size=30))[0]
  assert not np.array_equal(images, shifted)


def test_evaluate_path_on_a_conditional_digits_run(cgan_digits, pixel_net, tmp_path):
  from ganjax.metrics.scoring import score
  row = score(run=cgan_digits, num_samples=60, feature_net=pixel_net, cache_dir=str(tmp_path))
  # Defaults for a conditional run: fid,kid,is,pr plus ifid and cacc; cacc is skipped on digits.
  assert row["metrics"] == "fid,kid,is,pr,ifid,cacc"
  assert np.isfinite(row["eval/intra_class_fid"]) and row["eval/num_samples"] == 60
  per_class = [row[f"eval/intra_class_fid_class_{c}"] for c in range(10)]
  assert row["eval/intra_class_fid"] == pytest.approx(np.mean(per_class))
  assert not any(k.startswith("eval/conditional_accuracy") for k in row)
  assert any("conditional_accuracy skipped" in n and "'digits'" in n for n in row["notes"])
  with pytest.raises(ConfigError, match="code_acc needs an infogan run"):
    score(run=cgan_digits, metrics="fid,code_acc", feature_net=pixel_net, cache_dir=str(tmp_path))


def test_code_accuracy_of_an_infogan_run(pixel_net, tmp_path):
  from experiments.configs import infogan_fashion_mnist
  from ganjax.metrics.scoring import score
  config = _tiny(infogan_fashion_mnist.get_config(), "digits")
  config.model.q_hidden = 16
  run = _run(config)
  row = score(run=run, metrics="code_acc", num_samples=20, feature_net=pixel_net,
              cache_dir=str(tmp_path))
  assert 0.0 < row["eval/code_accuracy"] <= 1.0
  assert {f"eval/code_accuracy_class_{c}" for c in range(10)} <= set(row)
  assert sorted(c for c in row["code_mapping"] if c >= 0) == list(range(10))
  with pytest.raises(ConfigError, match="class-conditional"):
    score(run=run, metrics="ifid", feature_net=pixel_net, cache_dir=str(tmp_path))


class _Writer:
  def __init__(self):
    self.rows = []

  def write_scalars(self, step, scalars):
    self.rows.append((step, scalars))


def test_conditional_accuracy_of_a_fashion_mnist_run_in_evaluate_and_periodic_eval(
    pixel_net, tmp_path, monkeypatch):
  from experiments.configs import cgan_fashion_mnist
  from ganjax.metrics.periodic import PeriodicEvaluator
  from ganjax.metrics.scoring import score
  monkeypatch.setenv("GANJAX_CACHE_DIR", str(tmp_path))
  config = _tiny(cgan_fashion_mnist.get_config(), "fashion_mnist")
  run = _run(config)
  row = score(run=run, metrics="cacc", num_samples=40, feature_net=pixel_net)
  assert 0.0 <= row["eval/conditional_accuracy"] <= 1.0 and "notes" not in row
  per_class = [row[f"eval/conditional_accuracy_class_{c}"] for c in range(10)]
  assert row["eval/conditional_accuracy"] == pytest.approx(np.mean(per_class))
  # Periodic evaluation: the same columns, written as eval/<column> scalars.
  config.eval_every, config.eval_metrics, config.eval_num_samples = 1, "ifid,cacc", 40
  config.eval_feature_net = pixel_net
  writer = _Writer()
  scores = PeriodicEvaluator(run[0], config, str(tmp_path)).maybe_evaluate(1, 1, run[1], writer)
  step, scalars = writer.rows[-1]
  assert step == 1 and scalars["eval/conditional_accuracy"] == scores["conditional_accuracy"]
  assert {"eval/intra_class_fid", "eval/intra_class_fid_class_9", "eval/conditional_accuracy_class_0"
          } <= set(scalars)
  config.eval_num_samples = 10  # fewer than 2 per class: no per-class covariance
  with pytest.raises(ConfigError, match="eval_num_samples=10 is too few for 'ifid'"):
    PeriodicEvaluator(run[0], config, str(tmp_path))
