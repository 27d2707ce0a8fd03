"""The `voxel_shapes32` dataset: procedurally generated 32^3 occupancy grids of 10 shape classes.

Every example is {"voxels": uint8 [32, 32, 32, 1] holding 0 / 1, "label": int64 in [0, 10)}.
Axis 0 of a grid is vertical (index 0 at the bottom, objects stand on a floor at some height),
axes 1 and 2 are horizontal. A voxel is occupied when its centre (i + 0.5 for index i, in voxel
units) lies inside the shape. Each class draws its proportions, its horizontal position (the
whole object stays inside the grid), its floor height and a rotation about the vertical axis from
a seeded numpy Generator:

  0 sphere    radius 5-11
  1 box       half extents 3-9 (horizontal), 3-10 (vertical)
  2 cylinder  vertical axis, radius 3-9, height 8-24
  3 cone      vertical axis, base radius 4-11 on the floor, height 8-24
  4 torus     vertical axis, tube radius 2-3.5, ring radius 5.5-10 (a hole on its axis)
  5 pyramid   square base of half width 5-11, height 8-22
  6 chair     a seat slab on four legs (height 5-10), a back slab up one edge (height 6-12)
  7 table     a top slab (half extents 7-13 x 5-11) on four corner legs (height 8-16)
  8 bed       a long base slab (half extents 10-14 x 6-9, height 3-6) on the floor, a headboard
              at one end (height 8-14)
  9 lamp      a round foot (radius 3-6), a thin pole (height 10-18), a truncated-cone shade

Splits: train 10,000 examples (seed 0), test 2,000 (seed 1); labels cycle 0..9, so each class
is a tenth of a split. Each class draws from its own Generator (seed, class), in vectorised
numpy, so `make_split` is deterministic and takes seconds.
"""

from __future__ import annotations

import numpy as np
import tensorflow_datasets as tfds

SIZE = 32
CLASSES = ("sphere", "box", "cylinder", "cone", "torus", "pyramid", "chair", "table", "bed",
           "lamp")
SPLITS = {"train": (10_000, 0), "test": (2_000, 1)}
_BLOCK = 100  # examples per class generated at once (1,000 grids, 33 MB, per block)


def _coords():
  """(y, x, z) voxel-centre coordinates, each float32 [1, 32, 32, 32] (y vertical)."""
  axis = np.arange(SIZE, dtype=np.float32) + 0.5
  y, x, z = np.meshgrid(axis, axis, axis, indexing="ij")
  return y[None], x[None], z[None]


def _col(a):
  """Per-example values [n] -> [n, 1, 1, 1] (a scalar stays a scalar), to broadcast against the
  grid."""
  a = np.asarray(a, np.float32)
  return a if a.ndim == 0 else a[:, None, None, None]


class _Frame:
  """The grid's coordinates in each example's frame: u, v horizontal (rotated by theta about the
  vertical axis through the horizontal centre), h the height above the example's floor."""

  def __init__(self, p):
    y, x, z = _coords()
    c, s = _col(np.cos(p["theta"])), _col(np.sin(p["theta"]))
    dx, dz = x - _col(p["cx"]), z - _col(p["cz"])
    self.u, self.v, self.h = c * dx + s * dz, -s * dx + c * dz, y - _col(p["floor"])

  def slab(self, cu, cv, hu, hv, bottom, top):
    """Inside the box |u - cu| <= hu, |v - cv| <= hv, bottom <= h <= top (all [n] or scalars)."""
    return ((np.abs(self.u - _col(cu)) <= _col(hu)) & (np.abs(self.v - _col(cv)) <= _col(hv))
            & (self.h >= _col(bottom)) & (self.h <= _col(top)))

  def radius(self, cu=0.0, cv=0.0):
    return np.sqrt((self.u - _col(cu)) ** 2 + (self.v - _col(cv)) ** 2)

  def legs(self, au, av, width, top):
    """Four square legs of half `width` at (+-au, +-av), from the floor to `top`."""
    out = None
    for su in (-1, 1):
      for sv in (-1, 1):
        leg = self.slab(su * au, sv * av, width, width, 0.0, top)
        out = leg if out is None else out | leg
    return out


def _place(rng, n, reach, height):
  """Position and rotation: the horizontal centre keeps a disc of radius `reach` [n] inside the
  grid, the floor keeps `height` [n] inside it; theta uniform in [0, 2 pi)."""
  reach, height = np.minimum(reach, SIZE / 2 - 0.5), np.minimum(height, SIZE - 1.0)
  lo, span = reach + 0.5, np.maximum(SIZE - 2 * reach - 1.0, 0.0)
  return dict(cx=lo + rng.uniform(size=n) * span, cz=lo + rng.uniform(size=n) * span,
              floor=rng.uniform(size=n) * (SIZE - height - 0.5),
              theta=rng.uniform(0, 2 * np.pi, size=n))


def _params(label: int, rng: np.random.Generator, n: int) -> dict:
  """Every random number `n` shapes of class `label` use: {name: float [n]}."""
  U = lambda lo, hi: rng.uniform(lo, hi, size=n)
  if label == 0:
    p = dict(r=U(5, 11))
    return {**p, **_place(rng, n, p["r"], 2 * p["r"])}
  if label == 1:
    p = dict(a=U(3, 9), b=U(3, 9), hy=U(3, 10))
    return {**p, **_place(rng, n, np.hypot(p["a"], p["b"]), 2 * p["hy"])}
  if label in (2, 3):
    p = dict(r=U(3, 9) if label == 2 else U(4, 11), height=U(8, 24))
    return {**p, **_place(rng, n, p["r"], p["height"])}
  if label == 4:
    p = dict(tube=U(2, 3.5))
    p["ring"] = p["tube"] + U(3.5, 6.5)
    return {**p, **_place(rng, n, p["ring"] + p["tube"], 2 * p["tube"])}
  if label == 5:
    p = dict(a=U(5, 11), height=U(8, 22))
    return {**p, **_place(rng, n, np.sqrt(2) * p["a"], p["height"])}
  if label == 6:
    p = dict(a=U(4, 7), seat=U(5, 10), thick=U(1.0, 2.0), back=U(6, 12), leg=U(1.0, 1.5))
    return {**p, **_place(rng, n, np.sqrt(2) * p["a"], p["seat"] + p["thick"] + p["back"])}
  if label == 7:
    p = dict(a=U(7, 13), b=U(5, 11), top=U(8, 16), thick=U(1.0, 2.0), leg=U(1.0, 1.6))
    return {**p, **_place(rng, n, np.hypot(p["a"], p["b"]), p["top"] + p["thick"])}
  if label == 8:
    p = dict(a=U(10, 14), b=U(6, 9), base=U(3, 6), head=U(8, 14), board=U(1.0, 2.0))
    return {**p, **_place(rng, n, np.hypot(p["a"], p["b"]), p["head"])}
  if label == 9:
    p = dict(foot=U(3, 6), pole=U(10, 18), shade_h=U(5, 8), shade_top=U(2.5, 4.5),
             shade_bottom=U(5, 9))
    return {**p, **_place(rng, n, np.maximum(p["foot"], p["shade_bottom"]),
                          p["pole"] + p["shade_h"])}
  raise ValueError(f"label must be in [0, {len(CLASSES)}), got {label}.")


def _occupancy(label: int, p: dict) -> np.ndarray:
  """bool [n, 32, 32, 32]: the shapes of class `label` with parameters `p` (as `_params`)."""
  f = _Frame(p)
  c = lambda k: _col(p[k])
  if label == 0:
    return f.radius() ** 2 + (f.h - c("r")) ** 2 <= c("r") ** 2
  if label == 1:
    return f.slab(0, 0, p["a"], p["b"], 0, 2 * p["hy"])
  if label == 2:
    return (f.radius() <= c("r")) & (f.h >= 0) & (f.h <= c("height"))
  if label == 3:
    return (f.h >= 0) & (f.radius() <= c("r") * (1 - f.h / c("height")))
  if label == 4:
    tube = np.sqrt((f.radius() - c("ring")) ** 2 + (f.h - c("tube")) ** 2)
    return tube <= c("tube")
  if label == 5:
    half = c("a") * (1 - f.h / c("height"))
    return (f.h >= 0) & (np.abs(f.u) <= half) & (np.abs(f.v) <= half)
  if label == 6:
    a, seat, top = p["a"], p["seat"], p["seat"] + p["thick"]
    inner = a - p["leg"]
    return (f.slab(0, 0, a, a, seat, top) | f.legs(inner, inner, p["leg"], seat)
            | f.slab(-(a - p["thick"] / 2), 0, p["thick"] / 2, a, top, top + p["back"]))
  if label == 7:
    top = p["top"]
    return (f.slab(0, 0, p["a"], p["b"], top, top + p["thick"])
            | f.legs(p["a"] - p["leg"], p["b"] - p["leg"], p["leg"], top))
  if label == 8:
    return (f.slab(0, 0, p["a"], p["b"], 0, p["base"])
            | f.slab(-(p["a"] - p["board"] / 2), 0, p["board"] / 2, p["b"], 0, p["head"]))
  if label == 9:
    pole_top = p["pole"] + p["shade_h"]
    t = (f.h - c("pole")) / c("shade_h")  # 0 at the shade's rim, 1 at its top
    shade_r = c("shade_bottom") + t * (c("shade_top") - c("shade_bottom"))
    return (((f.radius() <= c("foot")) & (f.h >= 0) & (f.h <= 1.5))
            | ((f.radius() <= 1.0) & (f.h >= 0) & (f.h <= _col(pole_top)))
            | ((t >= 0) & (t <= 1) & (f.radius() <= shade_r)))
  raise ValueError(f"label must be in [0, {len(CLASSES)}), got {label}.")


def shapes(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
  """uint8 [n, 32, 32, 32] occupancy (0 / 1) of `n` random shapes of class `label`."""
  return _occupancy(label, _params(label, rng, n)).astype(np.uint8)


def split_blocks(num: int, seed: int):
  """Yields (voxels uint8 [b, 32, 32, 32, 1], labels int64 [b]) blocks of a split of `num`
  examples (a multiple of 10): example i has label i % 10. Class k's shapes come from
  Generator((seed, k)) with all its parameters drawn up front, so the blocks only bound memory."""
  k = len(CLASSES)
  if num % k:
    raise ValueError(f"a split holds a multiple of {k} examples, got {num}.")
  per_class = num // k
  params = [_params(c, np.random.default_rng((seed, c)), per_class) for c in range(k)]
  for start in range(0, per_class, _BLOCK):
    stop = min(start + _BLOCK, per_class)
    grids = np.stack([_occupancy(c, {n: v[start:stop] for n, v in params[c].items()})
                      for c in range(k)], axis=1)  # [b, 10, 32, 32, 32]: class-interleaved
    labels = np.tile(np.arange(k), stop - start)
    yield grids.reshape(-1, SIZE, SIZE, SIZE, 1).astype(np.uint8), labels


def make_split(num: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  """(voxels uint8 [num, 32, 32, 32, 1] in {0, 1}, labels int64 [num]) of one split."""
  blocks = list(split_blocks(num, seed))
  return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


class VoxelShapes32(tfds.core.GeneratorBasedBuilder):
  """{"voxels": uint8 [32, 32, 32, 1] in {0, 1} (zlib-compressed on disk), "label": 10 classes}."""

  VERSION = tfds.core.Version("1.0.0")
  disable_shuffling = True  # stored in generation order: example i of a split is make_split's i

  def _info(self):
    return tfds.core.DatasetInfo(builder=self, disable_shuffling=True,
                                 features=tfds.features.FeaturesDict({
        "voxels": tfds.features.Tensor(shape=(SIZE, SIZE, SIZE, 1), dtype=np.uint8,
                                       encoding="zlib"),
        "label": tfds.features.ClassLabel(names=list(CLASSES))}))

  def _split_generators(self, dl_manager):
    del dl_manager  # nothing is downloaded
    return {split: self._generate_examples(n, seed) for split, (n, seed) in SPLITS.items()}

  def _generate_examples(self, num, seed):
    i = 0
    for grids, labels in split_blocks(num, seed):
      for grid, label in zip(grids, labels):
        yield i, {"voxels": grid, "label": int(label)}
        i += 1
