"""The metrics' arithmetic against closed forms and hand computations (no network, no data)."""

import itertools

import numpy as np
import pytest

from ganjax.errors import ConfigError, DataFormatError
from ganjax.metrics import fid, inception_score, kid, prdc
from ganjax.metrics.evaluation import parse_metrics
from ganjax.metrics.summary import MomentAccumulator

D = 4


def _commuting_gaussians():
  """Two Gaussians whose covariances share eigenvectors Q, so Tr((S1 S2)^1/2) = sum sqrt(a_i b_i)
  and the Frechet distance has a closed form that needs no matrix square root."""
  q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(D, D)))
  a, b = np.array([1.0, 2.0, 0.5, 3.0]), np.array([2.0, 1.0, 1.5, 0.2])
  mu1, mu2 = np.zeros(D), np.array([1.0, 0.0, -0.5, 0.0])
  closed = np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
  return mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T, closed


def _streamed_moments(x, batch=1000):
  acc = MomentAccumulator()
  for s in range(0, len(x), batch):
    acc.add(x[s:s + batch])
  return acc.moments()


def test_frechet_distance_of_exact_gaussians_is_the_closed_form():
  mu1, s1, mu2, s2, closed = _commuting_gaussians()
  assert closed == pytest.approx(3.5119016, abs=1e-6)
  assert fid.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(closed, rel=1e-9)
  assert fid.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0.0, abs=1e-9)


def test_fid_of_sampled_gaussians_matches_closed_form_and_is_symmetric():
  mu1, s1, mu2, s2, closed = _commuting_gaussians()
  rng = np.random.default_rng(1)
  n = 20_000
  # A large common offset: streamed moments must not lose digits to it.
  x = rng.multivariate_normal(mu1, s1, n) + 1e4
  y = rng.multivariate_normal(mu2, s2, n) + 1e4
  (ma, ca), (mb, cb) = _streamed_moments(x), _streamed_moments(y)
  np.testing.assert_allclose(ca, np.cov(x.T), atol=1e-9)
  np.testing.assert_allclose(ma, x.mean(0), rtol=1e-12)
  ab, ba = fid.frechet_distance(ma, ca, mb, cb), fid.frechet_distance(mb, cb, ma, ca)
  # Sampling sd measured over seeds is 0.03 at n = 20k; 0.15 is 5 sd.
  assert ab == pytest.approx(closed, abs=0.15)
  assert ab == pytest.approx(ba, rel=1e-9)


def test_fid_shape_mismatch_is_a_clear_error():
  with pytest.raises(DataFormatError, match="same feature network"):
    fid.frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_mmd2_unbiased_matches_a_hand_loop():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(5, 3)), rng.normal(size=(6, 3)) + 1.0
  k = lambda a, b: (a @ b / 3 + 1.0) ** 3  # noqa: E731
  xx = sum(k(x[i], x[j]) for i, j in itertools.permutations(range(5), 2)) / (5 * 4)
  yy = sum(k(y[i], y[j]) for i, j in itertools.permutations(range(6), 2)) / (6 * 5)
  xy = sum(k(a, b) for a in x for b in y) / (5 * 6)
  assert kid.mmd2_unbiased(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_kid_is_zero_on_average_for_one_distribution_and_positive_for_two():
  rng = np.random.default_rng(0)
  same = [kid.kernel_inception_distance(rng.normal(size=(600, 16)), rng.normal(size=(600, 16)),
                                        num_subsets=10, subset_size=300, seed=s)[0] for s in range(8)]
  shifted = kid.kernel_inception_distance(rng.normal(size=(600, 16)), rng.normal(size=(600, 16)) + 0.5,
                                          num_subsets=10, subset_size=300)
  # Unbiased: the mean over independent pairs straddles 0 within its standard error.
  assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same)) + 1e-4
  assert shifted[0] > 0.5 and shifted[0] > 20 * np.std(same)


def test_inception_score_extremes_and_hand_value():
  # Confident and spread evenly over K classes: IS = K; identical predictions everywhere: IS = 1.
  assert inception_score.inception_score(np.eye(10)[np.arange(1000) % 10] * 60.0)[0] == pytest.approx(10, rel=1e-6)
  assert inception_score.inception_score(np.random.default_rng(0).normal(size=(1, 10)).repeat(100, 0))[0] == pytest.approx(1.0)
  # Two examples, p = (0.9, 0.1) and (0.1, 0.9): marginal (0.5, 0.5), KL = 0.9 ln 1.8 + 0.1 ln 0.2.
  logits = np.log(np.array([[0.9, 0.1], [0.1, 0.9]]))
  expected = np.exp(0.9 * np.log(1.8) + 0.1 * np.log(0.2))
  assert inception_score.inception_score(logits, splits=1) == pytest.approx((expected, 0.0), rel=1e-9)


def test_knn_radii_match_brute_force():
  x = np.random.default_rng(0).normal(size=(700, 5))  # > one distance block
  d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
  np.testing.assert_allclose(prdc.knn_radii(x, 3), np.sort(d, 1)[:, 3], rtol=1e-6)


def test_precision_recall_self_is_one_and_distant_clouds_zero():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(800, 8)), rng.normal(size=(800, 8))
  assert prdc.precision_recall(x, x) == (1.0, 1.0)
  assert prdc.precision_recall(x, x + 100.0) == (0.0, 0.0)
  p, r = prdc.precision_recall(x, y)  # two samples of one distribution: high, not exactly 1
  assert 0.6 < p < 1.0 and 0.6 < r < 1.0
  # Fakes collapsed onto one real point: precise, no recall.
  assert prdc.precision_recall(x, np.repeat(x[:1], 800, 0)) == (1.0, pytest.approx(0.0, abs=0.01))


def test_density_coverage_of_one_distribution_and_of_distant_clouds():
  rng = np.random.default_rng(0)
  x, y = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
  density, coverage = prdc.density_coverage(x, y, k=5)
  # Naeem et al.: for identical distributions E[density] = 1 and E[coverage] = 1 - 1/2^k.
  assert density == pytest.approx(1.0, abs=0.1)
  assert coverage == pytest.approx(1 - 0.5 ** 5, abs=0.02)
  assert prdc.density_coverage(x, y + 100.0) == (0.0, 0.0)
  # Mode collapse: all fakes on one real point -> coverage of one ball's worth, density >> 1 there.
  d, c = prdc.density_coverage(x, np.repeat(x[:1], 2000, 0))
  assert c < 0.01 and d > 1.0


def test_unknown_metric_lists_valid_names():
  assert parse_metrics("fid, kid,is") == ["fid", "kid", "is"]
  with pytest.raises(ConfigError, match="Unknown metric 'fdi'.*fid.*kid"):
    parse_metrics("fid,fdi")
