"""The 3-D generative literature's set metrics on occupancy grids, with 1 - IoU as the distance.

For generated shapes S_g and reference shapes S_r (the test split), d(X, Y) = 1 - |X & Y| / |X | Y|
on grids binarized at 0.5 (two empty grids are at distance 0):

  coverage  COV = |{argmin_{Y in S_r} d(X, Y) : X in S_g}| / |S_r|: the fraction of reference
            shapes that are some sample's nearest neighbour (Achlioptas et al. 2018, Sec. 4);
            1 is best, a collapsed generator covers ~1 / |S_r|.
  mmd       MMD = mean over Y in S_r of min_{X in S_g} d(X, Y): how close the closest sample comes
            to each reference shape (ibid.); 0 is best.
  one_nna   1-NNA: the leave-one-out 1-nearest-neighbour classifier's accuracy on S_g u S_r with
            labels "generated" / "reference" (Lopez-Paz & Oquab 2017; Yang et al. 2019, PointFlow);
            0.5 when the sets are indistinguishable, 1 when they separate. Ties go to the smaller
            index of the concatenation [S_g; S_r].

  grids: [N, D, H, W] or [N, D, H, W, 1], occupancies in [0, 1] or uint8 0 / 1.
"""

from __future__ import annotations

import numpy as np

from ganjax.inference.voxels import binarize


def _flat(grids) -> np.ndarray:
  """float32 [N, D*H*W] of 0 / 1 (occupied from 0.5, `binarize`)."""
  g = binarize(grids)
  if g.ndim != 4:
    raise ValueError(f"voxel metrics take grids [N, D, H, W(, 1)], got shape {np.shape(grids)}.")
  return g.reshape(len(g), -1).astype(np.float32)


def iou_distances(a, b, *, chunk: int = 256) -> np.ndarray:
  """float32 [len(a), len(b)]: 1 - IoU of every pair of grids of `a` and `b` (same grid shape).
  Intersections are one float32 matmul per chunk (exact: counts are integers below 2^24)."""
  fa, fb = _flat(a), _flat(b)
  if fa.shape[1] != fb.shape[1]:
    raise ValueError(f"grids of different sizes: {np.shape(a)[1:]} and {np.shape(b)[1:]}.")
  na, nb = fa.sum(1), fb.sum(1)
  out = np.empty((len(fa), len(fb)), np.float32)
  for s in range(0, len(fa), chunk):
    inter = fa[s:s + chunk] @ fb.T
    union = na[s:s + chunk, None] + nb[None, :] - inter
    out[s:s + chunk] = np.where(union > 0, 1.0 - inter / np.maximum(union, 1.0), 0.0)
  return out


def coverage_mmd(d_gr: np.ndarray) -> tuple[float, float]:
  """(COV, MMD) from the distances [|S_g|, |S_r|] of generated to reference shapes."""
  covered = np.unique(np.argmin(d_gr, axis=1))
  return float(len(covered) / d_gr.shape[1]), float(np.mean(np.min(d_gr, axis=0)))


def one_nna(d_gg: np.ndarray, d_gr: np.ndarray, d_rr: np.ndarray) -> float:
  """The leave-one-out 1-NN accuracy on S_g u S_r from the three distance matrices."""
  ng, nr = d_gr.shape
  full = np.block([[d_gg, d_gr], [d_gr.T, d_rr]]).astype(np.float64)
  np.fill_diagonal(full, np.inf)  # leave one out
  nearest = np.argmin(full, axis=1)
  is_generated = np.arange(ng + nr) < ng
  return float(np.mean(is_generated[nearest] == is_generated))


def voxel_set_metrics(generated, reference) -> dict[str, float]:
  """{"coverage", "mmd", "one_nna"} of generated grids against reference grids (see above), plus
  the generated shapes' occupancy range ("occupancy_min", "occupancy_max": fractions of voxels)."""
  d_gr = iou_distances(generated, reference)
  cov, mmd = coverage_mmd(d_gr)
  nna = one_nna(iou_distances(generated, generated), d_gr, iou_distances(reference, reference))
  occupancy = _flat(generated).mean(1)
  return {"coverage": cov, "mmd": mmd, "one_nna": nna,
          "occupancy_min": float(occupancy.min()), "occupancy_max": float(occupancy.max())}
