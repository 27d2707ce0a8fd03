"""Occupancy grids as meshes and pictures: isosurfaces by scikit-image's marching cubes, written as
Wavefront .obj files and drawn as shaded images (numpy only).

Grids are [D, H, W] (or [D, H, W, 1]) occupancies in [0, 1] with axis 0 vertical (index 0 at the
bottom), as ganjax/data/voxels.py makes them. Pictures are orthographic views from 45 degrees of
azimuth and 30 degrees of elevation, lit by one directional light with Lambert shading
(intensity = 0.25 + 0.75 * |n . l|, n the surface normal, l the light direction), on a black
background:

  verts, faces = isosurface(grid)        # float32 [V, 3] (axis-0, 1, 2 coordinates), int [F, 3]
  write_obj("shape.obj", verts, faces)   # any 3-D viewer opens it
  images = render_voxels(grids)          # float32 [n, 64, 64, 1] in [-1, 1]
"""

from __future__ import annotations

import os

import numpy as np

LEVEL = 0.5  # the occupancy the surface passes through (and the threshold of `binarize`)
IMAGE_SIZE = 64
_AZIMUTH, _ELEVATION = np.deg2rad(45.0), np.deg2rad(30.0)
_LIGHT = np.array([-0.4, 0.8, 0.45])  # in view coordinates (x right, y up, z toward the viewer)
_AMBIENT = 0.25


def _grid(grid) -> np.ndarray:
  g = np.asarray(grid, np.float32)
  if g.ndim == 4 and g.shape[-1] == 1:
    g = g[..., 0]
  if g.ndim != 3:
    raise ValueError(f"an occupancy grid is [D, H, W] or [D, H, W, 1], got shape {g.shape}.")
  return g


def isosurface(grid, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
  """The surface where the occupancy crosses `level`: (verts float32 [V, 3] in voxel-index
  coordinates (axis 0, 1, 2; a voxel's centre at its index), faces int [F, 3] into verts).
  The grid is padded by one empty voxel, so shapes touching its border are closed. A grid that
  never crosses `level` (empty or full) has no surface: ([0, 3], [0, 3])."""
  g = np.pad(_grid(grid), 1)
  if not g.min() < level < g.max():
    return np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64)
  from skimage.measure import marching_cubes
  verts, faces, _, _ = marching_cubes(g, level=level)
  return (verts - 1.0).astype(np.float32), faces.astype(np.int64)


def write_obj(path: str, verts: np.ndarray, faces: np.ndarray) -> str:
  """Writes a Wavefront .obj ("v x y z" with y the vertical axis, "f i j k" 1-based); returns path.
  Coordinates are voxel units: x = axis 1, y = axis 0 (up), z = axis 2."""
  xyz = np.asarray(verts)[:, [1, 0, 2]]
  with open(path, "w") as f:
    f.write(f"# ganjax voxel isosurface: {len(xyz)} vertices, {len(faces)} faces\n")
    f.writelines(f"v {x:.4f} {y:.4f} {z:.4f}\n" for x, y, z in xyz)
    f.writelines(f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in np.asarray(faces))
  return path


def write_objs(directory: str, grids, prefix: str = "sample") -> list[str]:
  """One .obj per grid of `grids` [n, D, H, W(, 1)] in `directory` (which must exist):
  <prefix>_00000.obj, ...; an empty or full grid writes a file with no faces."""
  paths = []
  for i, grid in enumerate(np.asarray(grids)):
    paths.append(write_obj(os.path.join(directory, f"{prefix}_{i:05d}.obj"), *isosurface(grid)))
  return paths


def binarize(samples) -> np.ndarray:
  """Occupancies [n, D, H, W(, 1)] in [0, 1] -> uint8 [n, D, H, W] of 0 / 1 (occupied >= 0.5)."""
  s = np.asarray(samples)
  if s.ndim == 5 and s.shape[-1] == 1:
    s = s[..., 0]
  return (s >= LEVEL).astype(np.uint8)


def _view(points: np.ndarray, size: int) -> np.ndarray:
  """World points [N, 3] (axis 0, 1, 2 of a grid of `size`) -> view [N, 3]: x right, y up, z
  toward the viewer, centred on the grid's centre."""
  p = np.stack([points[:, 1], points[:, 0], points[:, 2]], -1) - (size - 1) / 2.0  # x, y up, z
  ca, sa, ce, se = np.cos(_AZIMUTH), np.sin(_AZIMUTH), np.cos(_ELEVATION), np.sin(_ELEVATION)
  x, z = ca * p[:, 0] - sa * p[:, 2], sa * p[:, 0] + ca * p[:, 2]
  y, z = ce * p[:, 1] - se * z, se * p[:, 1] + ce * z
  return np.stack([x, y, z], -1)


def shade(grid, image_size: int = IMAGE_SIZE) -> np.ndarray:
  """One grid -> float32 [image_size, image_size] in [0, 1]: 0 background, the surface lit by
  Lambert shading (>= the ambient 0.25). The isosurface's triangles are drawn as dense points
  (vertices, edge midpoints, centroids) through a depth buffer, nearest wins."""
  g = _grid(grid)
  verts, faces = isosurface(g)
  image = np.zeros((image_size, image_size), np.float32)
  if not len(faces):
    return image
  v = _view(verts, max(g.shape))
  tri = v[faces]  # [F, 3, 3]
  normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
  normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)
  light = _LIGHT / np.linalg.norm(_LIGHT)
  intensity = _AMBIENT + (1 - _AMBIENT) * np.abs(normals @ light)  # two-sided: [F]
  # Barycentric sample points per triangle: the corners, edge midpoints, centroid, and 1/6 points.
  weights = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [.5, .5, 0], [.5, 0, .5], [0, .5, .5],
                      [1 / 3, 1 / 3, 1 / 3], [2 / 3, 1 / 6, 1 / 6], [1 / 6, 2 / 3, 1 / 6],
                      [1 / 6, 1 / 6, 2 / 3]], np.float32)
  pts = np.einsum("kc,fcd->fkd", weights, tri).reshape(-1, 3)
  value = np.repeat(intensity, len(weights))
  half = np.sqrt(3.0) * max(g.shape) / 2.0  # the grid's bounding sphere fills the picture
  scale = image_size / (2 * half)
  col = np.clip(((pts[:, 0] + half) * scale).astype(np.int64), 0, image_size - 1)
  row = np.clip(((half - pts[:, 1]) * scale).astype(np.int64), 0, image_size - 1)
  pixel = row * image_size + col
  order = np.lexsort((pts[:, 2], pixel))  # by pixel, then far to near
  nearest = np.r_[pixel[order][1:] != pixel[order][:-1], True]  # the last point of each pixel
  image.flat[pixel[order][nearest]] = value[order][nearest]
  return image


def render_voxels(samples, image_size: int = IMAGE_SIZE) -> np.ndarray:
  """Occupancies [n, D, H, W(, 1)] in [0, 1] -> float32 images [n, S, S, 1] in [-1, 1] (S =
  image_size; the background -1, the lit surface in [-0.5, 1])."""
  images = np.stack([shade(g, image_size) for g in np.asarray(samples, np.float32)])
  return (images[..., None] * 2.0 - 1.0).astype(np.float32)
