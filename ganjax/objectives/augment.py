"""Differentiable augmentation of everything D sees: DiffAugment (Zhao et al. 2020) with an optional
ADA-style adaptive probability (Karras et al. 2020).

An op is `op.fn(images [B, H, W, C] float32 in [-1, 1], u [B, op.draws] uniforms in [0, 1))
-> images [B, H, W, C]`, differentiable in `images`, with independent randomness per sample
(its rows of u, drawn from the step's key). A policy is a named tuple of ops in the
`AUGMENTATIONS` registry (the paper's three):

  color:        brightness  x + u - 0.5,                     u ~ U[0, 1) per sample and op
                saturation  (x - mean_c x) * 2u + mean_c x    (mean over channels)
                contrast    (x - mean x) * (u + 0.5) + mean x (mean over H, W, C)
  translation:  shift by integers (dy, dx) ~ U{-s..s}, s = round(H / 8) (W / 8), zero padding:
                out[i, j] = x[i + dy, j + dx], 0 where that is outside the image
  cutout:       a square of half the image size, centred uniformly (clipped at the border), set to 0

The magnitudes are those of the reference implementation (DiffAugment_pytorch.py), which works on
[-1, 1] images as ganjax does, so they apply unchanged; "zero" padding and cutout fill is 0, the
mid-gray of [-1, 1], as there. Results can leave [-1, 1] (brightness, saturation), as in the paper.

Config (`config.augment`, absent or policy "" = no augmentation):

  policy: "color,translation,cutout"   # comma-separated AUGMENTATIONS names, applied in order
  p: 1.0         # probability that each op is applied to each sample (1.0: DiffAugment as published)
  ada: False     # instead adapt the probability during training, see `ada_technique`
  ada_p_init: 0.0, ada_target: 0.6, ada_interval: 4, ada_kimg: 500   # see `ada_technique`

Under shard_map (pmap mode) the key is folded with the device index, so devices draw independent
augmentations for their shards (not bit-equal to jit mode's draws).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp

from ganjax.errors import ConfigError
from ganjax.registry import Registry
from ganjax.core.techniques import StatefulTechnique

class Op(NamedTuple):
  """fn(images [B, H, W, C], u [B, draws] uniform in [0, 1)) -> images; differentiable in images."""
  fn: Callable[[jax.Array, jax.Array], jax.Array]
  draws: int


AUGMENTATIONS: Registry = Registry("augmentation policy")
ADA_KEY = "ada"  # GANState.extras entry of the adaptive probability

# Every op reads its randomness from columns of ONE uniform draw per augment call: each
# jax.random call inlines a threefry block into the step, and a dozen of them visibly slow the
# step's compilation on CPU.


def _per_sample(u: jax.Array) -> jax.Array:
  """[B] -> [B, 1, 1, 1], to broadcast over images."""
  return u[:, None, None, None]


def brightness(images: jax.Array, u: jax.Array) -> jax.Array:
  return images + (_per_sample(u[:, 0]) - 0.5)


def saturation(images: jax.Array, u: jax.Array) -> jax.Array:
  mean = jnp.mean(images, axis=3, keepdims=True)
  return (images - mean) * (_per_sample(u[:, 0]) * 2.0) + mean


def contrast(images: jax.Array, u: jax.Array) -> jax.Array:
  mean = jnp.mean(images, axis=(1, 2, 3), keepdims=True)
  return (images - mean) * (_per_sample(u[:, 0]) + 0.5) + mean


def uniform_int(u: jax.Array, low: int, high: int) -> jax.Array:
  """Integers uniform in [low, high) from uniforms u in [0, 1)."""
  return jnp.minimum(low + jnp.floor(u * (high - low)).astype(jnp.int32), high - 1)


def max_shift(size: int, ratio: float = 0.125) -> int:
  """The largest translation in pixels, int(size * ratio + 0.5) as in the reference code."""
  return int(size * ratio + 0.5)


def translation_offsets(u: jax.Array, h: int, w: int) -> jax.Array:
  """[B, 2] int32 (dy, dx), each uniform in [-s, s], from u [B, 2]."""
  sh, sw = max_shift(h), max_shift(w)
  return jnp.stack([uniform_int(u[:, 0], -sh, sh + 1), uniform_int(u[:, 1], -sw, sw + 1)], axis=1)


def translation(images: jax.Array, u: jax.Array) -> jax.Array:
  _, h, w, c = images.shape
  sh, sw = max_shift(h), max_shift(w)
  padded = jnp.pad(images, ((0, 0), (sh, sh), (sw, sw), (0, 0)))
  # out[i, j] = padded[i + s + dy, j + s + dx] = images[i + dy, j + dx], or 0 outside.
  crop = lambda img, o: jax.lax.dynamic_slice(img, (sh + o[0], sw + o[1], 0), (h, w, c))
  return jax.vmap(crop)(padded, translation_offsets(u, h, w))


def cutout_mask(u: jax.Array, h: int, w: int, ratio: float = 0.5) -> jax.Array:
  """[B, H, W, 1] float32 from u [B, 2]: 0 inside each sample's cutout square, 1 elsewhere.

  Size (ch, cw) = int(H * ratio + 0.5), ...; centre oy ~ U{0 .. H - (ch % 2)}; rows
  [oy - ch // 2, oy - ch // 2 + ch) clipped to the image, likewise columns (reference code).
  """
  ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
  oy = uniform_int(u[:, 0], 0, h + 1 - ch % 2)[:, None, None]
  ox = uniform_int(u[:, 1], 0, w + 1 - cw % 2)[:, None, None]
  rows = jnp.arange(h)[None, :, None] - (oy - ch // 2)
  cols = jnp.arange(w)[None, None, :] - (ox - cw // 2)
  inside = (rows >= 0) & (rows < ch) & (cols >= 0) & (cols < cw)
  return jnp.where(inside, 0.0, 1.0)[..., None]


def cutout(images: jax.Array, u: jax.Array) -> jax.Array:
  _, h, w, _ = images.shape
  return images * cutout_mask(u, h, w).astype(images.dtype)


AUGMENTATIONS.register("color", (Op(brightness, 1), Op(saturation, 1), Op(contrast, 1)))
AUGMENTATIONS.register("translation", (Op(translation, 2),))
AUGMENTATIONS.register("cutout", (Op(cutout, 2),))


def policy_ops(policy: str) -> tuple[Op, ...]:
  """The ops of a comma-separated policy string, in order; ConfigError lists valid names."""
  names = [n.strip() for n in policy.split(",") if n.strip()]
  return tuple(op for n in names for op in AUGMENTATIONS.get(n))


def augment_images(images: jax.Array, key: jax.Array, ops: tuple[Op, ...], p) -> jax.Array:
  """Applies each op to each sample independently with probability `p` (a float or scalar array).

  images: [B, H, W, C] float32 in [-1, 1]. p = 1 is DiffAugment; p = 0 returns `images`
  unchanged. Differentiable in `images`. Column layout of the one uniform draw [B, n]: per op,
  one column for "apply?" (u < p) then its `draws` columns.
  """
  u = jax.random.uniform(key, (images.shape[0], sum(1 + op.draws for op in ops)))
  col = 0
  for op in ops:
    apply = _per_sample(u[:, col]) < p
    images = jnp.where(apply, op.fn(images, u[:, col + 1: col + 1 + op.draws]), images)
    col += 1 + op.draws
  return images


def ada_technique(batch_size: int, target: float = 0.6, interval: int = 4, kimg: float = 500.0,
                  p_init: float = 0.0) -> StatefulTechnique:
  """ADA's adaptive probability (Karras et al. 2020, Sec. 3), kept in `extras["ada"]`.

  Entry: {"p": float32 probability, "sum": float32, "n": int32}. Every step adds the step's
  "d_real_sign" metric, E[sign(D(real))], to `sum`; every `interval` (N) steps
    r_t = sum / N,   p <- clip(p + sign(r_t - target) * N * batch_size / (kimg * 1000), 0, 1)
  and the accumulator resets; p is logged as the metric "ada_p". So p can travel from 0 to 1 in `kimg` thousand real images when D
  keeps overfitting (r_t > target) and falls as fast when it does not. Paper defaults: target
  0.6, N = 4, 500 kimg; short runs need a much smaller `kimg` for p to move at all.
  """
  step_size = interval * batch_size / (kimg * 1000.0)

  def init(params):
    del params
    return {"p": jnp.asarray(p_init, jnp.float32), "sum": jnp.zeros((), jnp.float32),
            "n": jnp.zeros((), jnp.int32)}

  def update(entry, state, metrics):
    del state
    total, n = entry["sum"] + metrics["d_real_sign"], entry["n"] + 1
    due = n >= interval
    r_t = total / interval
    p = jnp.where(due, jnp.clip(entry["p"] + jnp.sign(r_t - target) * step_size, 0.0, 1.0),
                  entry["p"])
    return {"p": p.astype(jnp.float32), "sum": jnp.where(due, 0.0, total).astype(jnp.float32),
            "n": jnp.where(due, 0, n).astype(jnp.int32)}

  return StatefulTechnique(ADA_KEY, init, update, report=lambda entry: {"ada_p": entry["p"]})


def validate_augment(cfg: Any) -> None:
  """ConfigError for an unknown policy name or an out-of-range option of `config.augment`."""
  if not isinstance(cfg.get("policy", ""), str):
    raise ConfigError(f"config.augment.policy must be a string like 'color,translation,cutout', "
                      f"got {cfg.get('policy')!r}.")
  policy_ops(cfg.get("policy", ""))
  valid = ("policy", "p", "ada", "ada_p_init", "ada_target", "ada_interval", "ada_kimg")
  unknown = sorted(set(cfg.keys()) - set(valid))
  if unknown:
    raise ConfigError(f"config.augment has unknown option(s) {unknown}; valid: {', '.join(valid)}.")
  for field in ("p", "ada_p_init"):
    p = cfg.get(field, 0.0)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
      raise ConfigError(f"config.augment.{field} must be a probability in [0, 1], got {p!r}.")
  interval = cfg.get("ada_interval", 4)
  if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
    raise ConfigError(f"config.augment.ada_interval must be an integer >= 1, got {interval!r}.")
  kimg = cfg.get("ada_kimg", 500)
  if isinstance(kimg, bool) or not isinstance(kimg, (int, float)) or not kimg > 0:
    raise ConfigError(f"config.augment.ada_kimg must be > 0, got {kimg!r}.")


def build_augment(config: Any, axis_name: str | None = None):
  """(augment(images, key, state) -> images, or None; techniques tuple) from `config.augment`."""
  cfg = config.get("augment", None) or {}
  ops = policy_ops(cfg.get("policy", ""))
  if not ops:
    return None, ()
  ada = bool(cfg.get("ada", False))
  p_fixed = cfg.get("p", 1.0)
  techniques = ()
  if ada:
    techniques = (ada_technique(config.batch_size, cfg.get("ada_target", 0.6),
                                cfg.get("ada_interval", 4), cfg.get("ada_kimg", 500),
                                cfg.get("ada_p_init", 0.0)),)

  def augment(images: jax.Array, key: jax.Array, state) -> jax.Array:
    if axis_name is not None:
      key = jax.random.fold_in(key, jax.lax.axis_index(axis_name))
    p = state.extras[ADA_KEY]["p"] if ada else p_fixed
    return augment_images(images, key, ops, p)

  return augment, techniques
