"""Sampling in the style space W of generators with a mapping network (StyleGAN2): style-mixing
grids and the W-space paths perceptual path length walks (ganjax/metrics/ppl.py).

A run has a style space when its objective has the StyleSpace capability
(ganjax/core/capabilities.py; ganjax/families/stylegan2/objective.py):

  map(state, z [B, z_dim], *, ema, truncation=None) -> ws [B, num_ws, w_dim]
  synthesize(state, ws [B, num_ws, w_dim], noise [B, noise_dim], *, ema) -> images [B, H, W, C]

and its prior's codes hold "z" and "noise". Everything here calls them in eval mode, jitted once
per experiment.

Style-mixing grid (Karras et al. 2019, Fig. 3; `sample.py --grid=mixing`): the top row shows
`cols` column sources A, the left column `rows` row sources B, and cell (i, j) is synthesised
from A_j's styles for the layers before `cutoff` (coarse: shape, pose) and B_i's from there on
(fine: colour, texture). All cells share one noise draw, so only the styles differ.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.core.capabilities import StyleSpace, require, supports
from ganjax.errors import ConfigError
from ganjax.inference.sampling import cached_jit


def has_style_space(exp) -> bool:
  """Whether the run's objective has the StyleSpace capability (ganjax/core/capabilities.py)."""
  return supports(exp.objective, StyleSpace)


def check_style_space(exp, what: str) -> None:
  require(exp, StyleSpace, what, "a generator with a mapping network and a style space W "
                                 "(stylegan2)")


def _jitted(exp, method: str):
  """jit of the objective's StyleSpace `method`, (state, *args, ema, **kwargs) -> output, once
  per experiment."""
  fn = getattr(exp.objective, method)
  return cached_jit(exp, f"style_space.{method}", lambda: jax.jit(fn, static_argnames="ema"))


def map_latents(exp, state, z, *, ema: bool = True, truncation: float | None = None) -> jax.Array:
  """z [B, z_dim] -> ws [B, num_ws, w_dim] in eval mode (w_avg untouched); truncation: psi."""
  kwargs = {} if truncation is None else {"truncation": jnp.float32(truncation)}
  return _jitted(exp, "map")(state, jnp.asarray(z, jnp.float32), ema=ema, **kwargs)


def synthesize(exp, state, ws, noise, *, ema: bool = True) -> jax.Array:
  """ws [B, num_ws, w_dim], noise [B, noise_dim] -> images [B, H, W, C] float32 (about [-1, 1])."""
  return _jitted(exp, "synthesize")(state, jnp.asarray(ws, jnp.float32),
                                              jnp.asarray(noise, jnp.float32), ema=ema)


def draw_codes(exp, key: jax.Array, n: int) -> dict:
  """The prior's codes for n samples (z, noise, ...), on the host."""
  return {k: np.asarray(v) for k, v in jax.device_get(exp.objective.prior.sample(key, n)).items()}


def mix_styles(ws_a: np.ndarray, ws_b: np.ndarray, cutoff: int) -> np.ndarray:
  """ws [R, C, L, D] with cell (i, j) = ws_a[j] on layers < cutoff and ws_b[i] from cutoff on;
  ws_a [C, L, D] (column sources), ws_b [R, L, D] (row sources)."""
  rows, cols = ws_b.shape[0], ws_a.shape[0]
  a = np.broadcast_to(ws_a[None], (rows, *ws_a.shape))
  b = np.broadcast_to(ws_b[:, None], (rows, cols, *ws_b.shape[1:]))
  coarse = np.arange(ws_a.shape[1])[None, None, :, None] < cutoff
  return np.where(coarse, a, b)


def mixing_grid(exp, state, key: jax.Array, *, rows: int = 5, cols: int = 6,
                cutoff: int | None = None, ema: bool = True,
                truncation: float | None = None) -> np.ndarray:
  """The style-mixing grid as float32 images [(rows + 1) * (cols + 1), H, W, C], row-major with
  `cols + 1` columns: a white corner, the column sources A along the top, the row sources B down
  the left, the mixes inside. cutoff: the first layer taken from B (default num_ws // 2)."""
  check_style_space(exp, "--grid=mixing")
  for value, flag in ((rows, "--rows"), (cols, "--num")):
    if isinstance(value, bool) or int(value) != value or value < 1:
      raise ConfigError(f"{flag} must be a positive integer for --grid=mixing, got {value!r}.")
  codes = draw_codes(exp, key, rows + cols)
  ws = np.asarray(map_latents(exp, state, codes["z"], ema=ema, truncation=truncation))
  num_ws = ws.shape[1]
  cutoff = num_ws // 2 if cutoff is None else cutoff
  if not 1 <= cutoff < num_ws:
    raise ConfigError(f"the mixing cutoff must lie in [1, {num_ws}) (layers of W), got {cutoff}.")
  ws_a, ws_b = ws[:cols], ws[cols:]
  cells = mix_styles(ws_a, ws_b, cutoff).reshape(rows * cols, *ws.shape[1:])
  every = np.concatenate([ws_a, ws_b, cells])
  noise = np.broadcast_to(codes["noise"][:1], (len(every), codes["noise"].shape[1]))
  images = np.asarray(synthesize(exp, state, every, noise, ema=ema))
  top, left, inner = images[:cols], images[cols:cols + rows], images[cols + rows:]
  corner = np.ones_like(images[:1])
  grid = [np.concatenate([corner, top])]
  for i in range(rows):
    grid.append(np.concatenate([left[i:i + 1], inner[i * cols:(i + 1) * cols]]))
  return np.concatenate(grid)
