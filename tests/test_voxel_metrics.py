"""COV, MMD and 1-NNA on occupancy grids (ganjax/metrics/voxels.py) against hand computations, and
on the cases that make them worth having: a collapsed generator covers one shape, two sets that
separate score 1-NNA 1."""

import numpy as np
import pytest

from ganjax.metrics import voxels


def _grid(occupied, n=2):
  g = np.zeros(n ** 3, np.uint8)
  g[list(occupied)] = 1
  return g.reshape(n, n, n, 1)


def test_iou_distance_by_hand():
  a, b, empty = _grid([0, 1, 2, 3]), _grid([0, 1, 6, 7]), _grid([])
  d = voxels.iou_distances(np.stack([a, empty]), np.stack([b, empty, a]))
  # a vs b: intersection 2, union 6; anything vs empty: 1; empty vs empty: 0; a vs a: 0.
  np.testing.assert_allclose(d, [[1 - 2 / 6, 1, 0], [1, 0, 1]], atol=1e-7)


def test_occupancies_are_binarized_at_one_half():
  soft = _grid([0, 1]).astype(np.float32) * 0.6 + 0.3  # 0.9 where occupied, 0.3 elsewhere
  assert voxels.iou_distances(soft[None], _grid([0, 1])[None])[0, 0] == 0.0


def test_coverage_and_mmd_by_hand():
  d_gr = np.array([[0.1, 0.5, 0.9], [0.2, 0.3, 0.8]])
  cov, mmd = voxels.coverage_mmd(d_gr)
  assert cov == pytest.approx(1 / 3)  # both samples' nearest reference is shape 0
  assert mmd == pytest.approx((0.1 + 0.3 + 0.8) / 3)  # each reference's closest sample


def test_one_nna_by_hand():
  d_gg = np.array([[0, .5], [.5, 0]])
  d_rr = np.array([[0, .5], [.5, 0]])
  d_gr = np.array([[.1, .9], [.9, .9]])
  # g0 -> r0 (wrong), g1 -> g0 (right), r0 -> g0 (wrong), r1 -> r0 (right)
  assert voxels.one_nna(d_gg, d_gr, d_rr) == pytest.approx(0.5)


def _boxes(rng, n, low, high, size=8):
  out = np.zeros((n, size, size, size), np.uint8)
  for i in range(n):
    s = rng.integers(low, high + 1, size=3)
    o = [rng.integers(0, size - k + 1) for k in s]
    out[i, o[0]:o[0] + s[0], o[1]:o[1] + s[1], o[2]:o[2] + s[2]] = 1
  return out


def test_collapsed_and_separated_sets_score_as_they_should():
  rng = np.random.default_rng(0)
  reference = _boxes(rng, 40, 2, 6)
  collapsed = np.repeat(reference[:1], 40, axis=0)
  m = voxels.voxel_set_metrics(collapsed, reference)
  assert m["coverage"] == pytest.approx(1 / 40) and m["one_nna"] > 0.9
  # Same distribution, other draws: covers much of the set, 1-NNA near chance.
  fresh = voxels.voxel_set_metrics(_boxes(rng, 40, 2, 6), reference)
  assert fresh["coverage"] > 0.3 and fresh["one_nna"] < 0.75 and fresh["mmd"] < m["mmd"]
  # Boxes of side >= 5 in 8^3 all hold the centre voxels, so shapes of one set overlap; cut to
  # the lower and the upper half, the two sets never meet (distance 1): separable.
  lower, upper = _boxes(rng, 40, 5, 8), _boxes(rng, 40, 5, 8)
  lower[:, 4:], upper[:, :4] = 0, 0
  assert voxels.voxel_set_metrics(lower, upper)["one_nna"] == 1.0
  assert 0 < m["occupancy_min"] <= m["occupancy_max"] <= 1


def test_refuses_grids_of_another_rank_or_size():
  with pytest.raises(ValueError, match=r"\[N, D, H, W\(, 1\)\]"):
    voxels.iou_distances(np.zeros((2, 8, 8)), np.zeros((2, 8, 8)))
  with pytest.raises(ValueError, match="different sizes"):
    voxels.iou_distances(np.zeros((2, 8, 8, 8)), np.zeros((2, 4, 4, 4)))
