"""InceptionV3 for FID: the 2015-12-05 TensorFlow network as pytorch-fid ports it, in flax (NHWC).

FID, KID and Inception Score figures are only comparable with published ones when they come from
this exact network. pytorch-fid rebuilds it from torchvision's InceptionV3 with four patched blocks:
  FIDInceptionA / FIDInceptionC / FIDInceptionE_1  3x3 average pool with count_include_pad=False
                                                   (TensorFlow's pool ignores the zero padding),
  FIDInceptionE_2 (Mixed_7c)                       3x3 max pool instead of the average pool,
BatchNorm eps 0.001, and 1008 logits (the 2015 graph's classes). Module and parameter names follow
torchvision's (`Mixed_5b/branch1x1/conv`), so the weight file maps onto them one to one.

  images uint8 [N, H, W, C], C in {1, 3}
    -> preprocess: /255, grey repeated to RGB, bilinear resize to 299x299 exactly as
       torch.nn.functional.interpolate(mode="bilinear", align_corners=False), then 2x - 1
    -> FIDInceptionV3 -> (pool3 [N, 2048] = global average pool of Mixed_7c, logits [N, 1008])

Weights never download: the user passes the path of pytorch-fid's release file
`pt_inception-2015-12-05-6726825d.pth` (a torch state dict; reading it needs torch) or of an .npz
converted from it by `python -m ganjax.metrics.inception --convert IN.pth --out OUT.npz`.
"""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any, Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from ganjax.errors import CheckpointError, DataFormatError

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "GANJAX_INCEPTION_WEIGHTS"
WEIGHTS_FLAG = "--inception_weights"
INPUT_SIZE = 299
FEATURE_DIM = 2048
NUM_LOGITS = 1008
BN_EPSILON = 1e-3
# Full float32 convolutions: on GPUs/TPUs XLA's default precision may use TF32/bf16 passes,
# which moves FID in the first decimal. On CPU this changes nothing.
PRECISION = jax.lax.Precision.HIGHEST


class BasicConv(nn.Module):
  """torchvision's BasicConv2d: bias-free conv -> BatchNorm (running statistics) -> ReLU."""

  features: int
  kernel_size: tuple[int, int]
  strides: int = 1
  padding: tuple[int, int] = (0, 0)  # symmetric (H, W) zero padding, as torch's `padding`
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    x = nn.Conv(self.features, self.kernel_size, self.strides,
                padding=tuple((p, p) for p in self.padding), use_bias=False,
                precision=self.precision, name="conv")(x)
    x = nn.BatchNorm(use_running_average=True, epsilon=BN_EPSILON, name="bn")(x)
    return nn.relu(x)


def _avg_pool_3x3(x: jax.Array) -> jax.Array:
  """F.avg_pool2d(k3, s1, p1, count_include_pad=False): padded zeros are not averaged in."""
  return nn.avg_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)), count_include_pad=False)


def _max_pool_3x3(x: jax.Array) -> jax.Array:
  """F.max_pool2d(k3, s1, p1): padding is -inf, so it never wins."""
  return nn.max_pool(x, (3, 3), (1, 1), padding=((1, 1), (1, 1)))


def _max_pool_down(x: jax.Array) -> jax.Array:
  """MaxPool2d(k3, s2), no padding."""
  return nn.max_pool(x, (3, 3), (2, 2))


class InceptionA(nn.Module):
  """FIDInceptionA (Mixed_5b..5d) -> 224 + pool_features channels."""

  pool_features: int
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b1 = conv(64, (1, 1), name="branch1x1")(x)
    b5 = conv(48, (1, 1), name="branch5x5_1")(x)
    b5 = conv(64, (5, 5), padding=(2, 2), name="branch5x5_2")(b5)
    b3 = conv(64, (1, 1), name="branch3x3dbl_1")(x)
    b3 = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(b3)
    b3 = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_3")(b3)
    bp = conv(self.pool_features, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b5, b3, bp], axis=-1)


class InceptionB(nn.Module):
  """torchvision's InceptionB (Mixed_6a, unpatched): stride-2 reduction -> 768 channels."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b3 = conv(384, (3, 3), strides=2, name="branch3x3")(x)
    bd = conv(64, (1, 1), name="branch3x3dbl_1")(x)
    bd = conv(96, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = conv(96, (3, 3), strides=2, name="branch3x3dbl_3")(bd)
    return jnp.concatenate([b3, bd, _max_pool_down(x)], axis=-1)


class InceptionC(nn.Module):
  """FIDInceptionC (Mixed_6b..6e): factorised 7x7 convolutions -> 768 channels."""

  channels_7x7: int
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    c7 = self.channels_7x7
    b1 = conv(192, (1, 1), name="branch1x1")(x)
    b7 = conv(c7, (1, 1), name="branch7x7_1")(x)
    b7 = conv(c7, (1, 7), padding=(0, 3), name="branch7x7_2")(b7)
    b7 = conv(192, (7, 1), padding=(3, 0), name="branch7x7_3")(b7)
    bd = conv(c7, (1, 1), name="branch7x7dbl_1")(x)
    bd = conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_2")(bd)
    bd = conv(c7, (1, 7), padding=(0, 3), name="branch7x7dbl_3")(bd)
    bd = conv(c7, (7, 1), padding=(3, 0), name="branch7x7dbl_4")(bd)
    bd = conv(192, (1, 7), padding=(0, 3), name="branch7x7dbl_5")(bd)
    bp = conv(192, (1, 1), name="branch_pool")(_avg_pool_3x3(x))
    return jnp.concatenate([b1, b7, bd, bp], axis=-1)


class InceptionD(nn.Module):
  """torchvision's InceptionD (Mixed_7a, unpatched): stride-2 reduction -> 1280 channels."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b3 = conv(192, (1, 1), name="branch3x3_1")(x)
    b3 = conv(320, (3, 3), strides=2, name="branch3x3_2")(b3)
    b7 = conv(192, (1, 1), name="branch7x7x3_1")(x)
    b7 = conv(192, (1, 7), padding=(0, 3), name="branch7x7x3_2")(b7)
    b7 = conv(192, (7, 1), padding=(3, 0), name="branch7x7x3_3")(b7)
    b7 = conv(192, (3, 3), strides=2, name="branch7x7x3_4")(b7)
    return jnp.concatenate([b3, b7, _max_pool_down(x)], axis=-1)


class InceptionE(nn.Module):
  """FIDInceptionE_1 (pool="avg", Mixed_7b) / FIDInceptionE_2 (pool="max", Mixed_7c) -> 2048."""

  pool: str
  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x):
    conv = functools.partial(BasicConv, precision=self.precision)
    b1 = conv(320, (1, 1), name="branch1x1")(x)
    b3 = conv(384, (1, 1), name="branch3x3_1")(x)
    b3 = jnp.concatenate([conv(384, (1, 3), padding=(0, 1), name="branch3x3_2a")(b3),
                          conv(384, (3, 1), padding=(1, 0), name="branch3x3_2b")(b3)], axis=-1)
    bd = conv(448, (1, 1), name="branch3x3dbl_1")(x)
    bd = conv(384, (3, 3), padding=(1, 1), name="branch3x3dbl_2")(bd)
    bd = jnp.concatenate([conv(384, (1, 3), padding=(0, 1), name="branch3x3dbl_3a")(bd),
                          conv(384, (3, 1), padding=(1, 0), name="branch3x3dbl_3b")(bd)], axis=-1)
    pooled = _max_pool_3x3(x) if self.pool == "max" else _avg_pool_3x3(x)
    bp = conv(192, (1, 1), name="branch_pool")(pooled)
    return jnp.concatenate([b1, b3, bd, bp], axis=-1)


class FIDInceptionV3(nn.Module):
  """x: float32 [N, 299, 299, 3] in [-1, 1] -> (pool3 [N, 2048] >= 0, logits [N, 1008])."""

  precision: Any = PRECISION

  @nn.compact
  def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    p = dict(precision=self.precision)
    x = BasicConv(32, (3, 3), strides=2, name="Conv2d_1a_3x3", **p)(x)  # 149
    x = BasicConv(32, (3, 3), name="Conv2d_2a_3x3", **p)(x)  # 147
    x = BasicConv(64, (3, 3), padding=(1, 1), name="Conv2d_2b_3x3", **p)(x)
    x = _max_pool_down(x)  # 73
    x = BasicConv(80, (1, 1), name="Conv2d_3b_1x1", **p)(x)
    x = BasicConv(192, (3, 3), name="Conv2d_4a_3x3", **p)(x)  # 71
    x = _max_pool_down(x)  # 35
    x = InceptionA(32, name="Mixed_5b", **p)(x)
    x = InceptionA(64, name="Mixed_5c", **p)(x)
    x = InceptionA(64, name="Mixed_5d", **p)(x)
    x = InceptionB(name="Mixed_6a", **p)(x)  # 17
    for name, c7 in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
      x = InceptionC(c7, name=name, **p)(x)
    x = InceptionD(name="Mixed_7a", **p)(x)  # 8
    x = InceptionE("avg", name="Mixed_7b", **p)(x)
    x = InceptionE("max", name="Mixed_7c", **p)(x)
    pool3 = jnp.mean(x, axis=(1, 2))  # AdaptiveAvgPool2d(1); dropout is off at inference
    logits = nn.Dense(NUM_LOGITS, precision=self.precision, name="fc")(pool3)
    return pool3, logits


def _linear_taps(in_size: int, out_size: int):
  """Source indices and weights of torch's bilinear (align_corners=False) along one axis.

  Computed in float32 like torch's CPU kernel: src = (dst + 0.5) * in/out - 0.5, clamped at 0;
  taps floor(src) and floor(src) + 1 (clamped to the last pixel) with weights 1 - frac, frac.
  """
  scale = np.float32(in_size) / np.float32(out_size)
  src = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
  src = np.maximum(src, np.float32(0))
  i0 = np.minimum(np.floor(src).astype(np.int32), in_size - 1)
  i1 = np.minimum(i0 + 1, in_size - 1)
  w1 = np.clip(src - i0.astype(np.float32), 0, 1).astype(np.float32)
  return i0, i1, np.float32(1) - w1, w1


def _resize_axis(x: jax.Array, axis: int, out_size: int) -> jax.Array:
  if x.shape[axis] == out_size:
    return x  # torch copies too: every source index is exact
  i0, i1, w0, w1 = _linear_taps(x.shape[axis], out_size)
  shape = [1] * x.ndim
  shape[axis] = out_size
  return (jnp.take(x, i0, axis=axis) * w0.reshape(shape)
          + jnp.take(x, i1, axis=axis) * w1.reshape(shape))


def preprocess(images: jax.Array) -> jax.Array:
  """images: [N, H, W, C] uint8 in [0, 255] or float in [0, 1], C in {1, 3}
  -> float32 [N, 299, 299, 3] in [-1, 1] (pytorch-fid's resize_input and normalize_input)."""
  x = jnp.asarray(images)
  x = x.astype(jnp.float32) / 255.0 if x.dtype == jnp.uint8 else x.astype(jnp.float32)
  if x.shape[-1] == 1:
    x = jnp.repeat(x, 3, axis=-1)
  x = _resize_axis(_resize_axis(x, 2, INPUT_SIZE), 1, INPUT_SIZE)
  return 2.0 * x - 1.0


# ------------------------------------------------------------------------------ weights

def _torch_name(collection: str, path: tuple[str, ...], value_ndim: int) -> str:
  leaf = path[-1]
  if collection == "batch_stats":
    leaf = {"mean": "running_mean", "var": "running_var"}[leaf]
  else:
    leaf = {"kernel": "weight", "scale": "weight", "bias": "bias"}[leaf]
  return ".".join(path[:-1] + (leaf,))


def _from_torch(array: np.ndarray, flax_ndim: int) -> np.ndarray:
  """torch layouts -> flax: conv OIHW -> HWIO, linear [out, in] -> [in, out]."""
  if flax_ndim == 4:
    return array.transpose(2, 3, 1, 0)
  return array.T if flax_ndim == 2 else array


def _to_torch_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
  if len(shape) == 4:
    return (shape[3], shape[2], shape[0], shape[1])
  return tuple(reversed(shape)) if len(shape) == 2 else tuple(shape)


@functools.lru_cache(maxsize=1)
def _variable_layout():
  """[(collection, flax path, torch key, flax shape)] for every array of FIDInceptionV3."""
  abstract = jax.eval_shape(FIDInceptionV3().init, jax.random.PRNGKey(0),
                            jnp.zeros((1, INPUT_SIZE, INPUT_SIZE, 3), jnp.float32))
  layout = []
  for collection, tree in abstract.items():
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
      names = tuple(k.key for k in path)
      layout.append((collection, names, _torch_name(collection, names, leaf.ndim), leaf.shape))
  return tuple(layout)


def expected_state_dict_shapes() -> dict[str, tuple[int, ...]]:
  """The weight file's keys and (torch-layout) shapes, e.g. 'fc.weight': (1008, 2048)."""
  return {key: _to_torch_shape(shape) for _, _, key, shape in _variable_layout()}


def resolve_weights_path(path: str | None = None) -> str:
  """`path`, else $GANJAX_INCEPTION_WEIGHTS; a clear error when neither names a file."""
  path = path or os.environ.get(WEIGHTS_ENV)
  how = (f"pytorch-fid's release file {WEIGHTS_FILE} (the URL is pytorch_fid.inception."
         f"FID_WEIGHTS_URL; ganjax downloads nothing) or an .npz converted from it with "
         f"`python -m ganjax.metrics.inception --convert {WEIGHTS_FILE} --out inception.npz`")
  if not path:
    raise CheckpointError(f"No InceptionV3 weights given: pass {WEIGHTS_FLAG}=PATH or set "
                          f"{WEIGHTS_ENV}=PATH, PATH being {how}.")
  if not os.path.isfile(path):
    raise CheckpointError(f"InceptionV3 weights {path!r} not found (from {WEIGHTS_FLAG} or "
                          f"${WEIGHTS_ENV}); give the path of {how}.")
  return path


def read_state_dict(path: str) -> dict[str, np.ndarray]:
  """The raw arrays of a .pth state dict (needs torch) or of a converted .npz, by torch key."""
  if path.endswith(".npz"):
    with np.load(path) as f:
      return {k: np.asarray(f[k]) for k in f.files}
  try:
    import torch  # pylint: disable=import-outside-toplevel
  except ImportError:
    raise CheckpointError(
        f"Reading {path!r} (a torch file) needs torch, which is not installed: pip install torch, "
        f"or convert it once on a machine with torch: python -m ganjax.metrics.inception "
        f"--convert {path} --out inception.npz, and pass the .npz.") from None
  try:
    state = torch.load(path, map_location="cpu", weights_only=True)
  except Exception as e:  # torch raises many types for a damaged or non-torch file
    raise CheckpointError(f"{path!r} is not a readable torch state dict ({type(e).__name__}: "
                          f"{e}); expected {WEIGHTS_FILE}.") from e
  if not isinstance(state, dict):
    raise CheckpointError(f"{path!r} holds a {type(state).__name__}, not a state dict; "
                          f"expected {WEIGHTS_FILE}.")
  return {k: v.detach().cpu().numpy() for k, v in state.items() if hasattr(v, "detach")}


def check_state_dict(state: dict[str, np.ndarray], source: str) -> None:
  """Raises CheckpointError naming every missing, mis-shaped or unexpected key."""
  expected = expected_state_dict_shapes()
  problems = []
  for key, shape in expected.items():
    if key not in state:
      problems.append(f"missing {key} (expected shape {shape})")
    elif tuple(state[key].shape) != shape:
      problems.append(f"{key} has shape {tuple(state[key].shape)}, expected {shape}")
  # torch's BatchNorm counters carry no weights; anything else extra means another network.
  extra = sorted(k for k in state if k not in expected and not k.endswith("num_batches_tracked"))
  problems += [f"unexpected key {k}" for k in extra[:5]]
  if problems:
    shown = "; ".join(problems[:8]) + (f"; ... ({len(problems)} problems)" if len(problems) > 8
                                       else "")
    raise CheckpointError(
        f"{source!r} is not the FID InceptionV3 state dict: {shown}. Use pytorch-fid's "
        f"{WEIGHTS_FILE} (torchvision's ImageNet InceptionV3 file has 1000 classes and another "
        f"structure), or an .npz converted from it by python -m ganjax.metrics.inception.")


def load_inception_params(path: str | None = None) -> dict[str, Any]:
  """Flax variables {"params", "batch_stats"} (numpy float32) of FIDInceptionV3 from `path`
  (.pth state dict or converted .npz; None = $GANJAX_INCEPTION_WEIGHTS)."""
  path = resolve_weights_path(path)
  state = read_state_dict(path)
  check_state_dict(state, path)
  variables: dict[str, Any] = {}
  for collection, names, key, shape in _variable_layout():
    node = variables.setdefault(collection, {})
    for name in names[:-1]:
      node = node.setdefault(name, {})
    node[names[-1]] = np.ascontiguousarray(_from_torch(state[key].astype(np.float32), len(shape)))
  return variables


# ------------------------------------------------------------------------------ features

def check_images(images) -> np.ndarray:
  """images: [N, H, W, C] uint8, or float in [0, 1], C in {1, 3}; else a DataFormatError."""
  images = np.asarray(images)
  if images.ndim != 4 or images.shape[-1] not in (1, 3):
    raise DataFormatError(f"InceptionV3 takes images [N, H, W, C] with C in (1, 3); got shape "
                          f"{images.shape}. Add the batch/channel axis (x[None] / x[..., None]).")
  if images.dtype != np.uint8:
    if not np.issubdtype(images.dtype, np.floating):
      raise DataFormatError(f"InceptionV3 takes uint8 or float images; got {images.dtype}.")
    if images.size and (images.min() < 0 or images.max() > 1):
      raise DataFormatError(
          f"float images for InceptionV3 must lie in [0, 1]; got [{images.min():.3g}, "
          f"{images.max():.3g}]. For ganjax samples in [-1, 1] pass ganjax.images.to_uint8(x).")
  return images


def inception_feature_fn(weights_path: str | None = None, batch_size: int = 50,
                         precision: Any = PRECISION
                         ) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
  """images uint8 [N, H, W, C] -> (pool3 float32 [N, 2048], logits float32 [N, 1008]), numpy.

  Batches of `batch_size` (the last one zero-padded, so the network compiles once; only the
  cheap resize compiles per input size). Weights from `weights_path` or $GANJAX_INCEPTION_WEIGHTS.
  """
  if batch_size < 1:
    raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
  variables = jax.device_put(load_inception_params(weights_path))
  net = jax.jit(FIDInceptionV3(precision=precision).apply)
  prep = jax.jit(preprocess)

  def features(images) -> tuple[np.ndarray, np.ndarray]:
    images = check_images(images)
    pools, logits, pending = [], [], None
    for start in range(0, len(images), batch_size):
      batch = images[start:start + batch_size]
      n = len(batch)
      if n < batch_size:
        batch = np.concatenate([batch, np.zeros((batch_size - n, *batch.shape[1:]), batch.dtype)])
      out = net(variables, prep(batch))  # dispatched; fetched after the next batch is queued
      if pending is not None:
        _collect(pending, pools, logits)
      pending = (out, n)
    if pending is not None:
      _collect(pending, pools, logits)
    if not pools:
      return np.zeros((0, FEATURE_DIM), np.float32), np.zeros((0, NUM_LOGITS), np.float32)
    return np.concatenate(pools), np.concatenate(logits)

  return features


def _collect(pending, pools: list, logits: list) -> None:
  (pool3, logit), n = pending
  pools.append(np.asarray(pool3, np.float32)[:n])
  logits.append(np.asarray(logit, np.float32)[:n])


def convert_to_npz(src: str, out: str) -> dict[str, np.ndarray]:
  """Checks the .pth state dict `src` and writes its arrays, float32 by torch key, to `out`."""
  state = read_state_dict(resolve_weights_path(src))
  check_state_dict(state, src)
  arrays = {k: state[k].astype(np.float32) for k in expected_state_dict_shapes()}
  np.savez(out, **arrays)
  return arrays


def main(argv: list[str] | None = None) -> None:
  parser = argparse.ArgumentParser(
      prog="python -m ganjax.metrics.inception",
      description=f"Convert pytorch-fid's {WEIGHTS_FILE} (needs torch) to an .npz that "
                  f"ganjax reads without torch.")
  parser.add_argument("--convert", required=True, metavar="IN.pth")
  parser.add_argument("--out", required=True, metavar="OUT.npz")
  args = parser.parse_args(argv)
  out = args.out if args.out.endswith(".npz") else args.out + ".npz"  # np.savez appends it
  arrays = convert_to_npz(args.convert, out)
  print(f"wrote {out}: {len(arrays)} arrays, {sum(a.size for a in arrays.values()):,} values; "
        f"use it with {WEIGHTS_FLAG}={out} or {WEIGHTS_ENV}={out}")


if __name__ == "__main__":
  main()
