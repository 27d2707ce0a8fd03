"""InceptionV3 features for FID, KID and Inception Score, from the standard weight file.

FID figures are comparable with published ones only when they come from the exact network
pytorch-fid uses (ganjax/metrics/inception_net.py) with its weights. Nothing downloads: the user
passes the path of pytorch-fid's release file `pt_inception-2015-12-05-6726825d.pth` (a torch
state dict; reading it needs torch) or of an .npz converted from it, once, on a machine with torch:

  python -m ganjax.metrics.inception --convert pt_inception-2015-12-05-6726825d.pth --out inception.npz

  features = inception_feature_fn(path)   # or $GANJAX_INCEPTION_WEIGHTS
  pool3, logits = features(images)        # uint8 [N, H, W, C] -> [N, 2048], [N, 1008] float32
"""

from __future__ import annotations

import argparse
import functools
import os
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from ganjax.errors import CheckpointError, DataFormatError
from ganjax.metrics.inception_net import (FEATURE_DIM, INPUT_SIZE, NUM_LOGITS, PRECISION,
                                          FIDInceptionV3, preprocess)
from ganjax.runtime.xla_options import compiler_options

WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"
WEIGHTS_ENV = "GANJAX_INCEPTION_WEIGHTS"
WEIGHTS_FLAG = "--inception_weights"


def _torch_name(collection: str, path: tuple[str, ...]) -> str:
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
      layout.append((collection, names, _torch_name(collection, names), leaf.shape))
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
    try:
      with np.load(path) as f:
        return {k: np.asarray(f[k]) for k in f.files}
    except Exception as e:  # zipfile / pickle / OS errors for a damaged or foreign file
      raise CheckpointError(f"{path!r} is not a readable .npz ({type(e).__name__}: {e}); "
                            f"convert {WEIGHTS_FILE} again with python -m "
                            f"ganjax.metrics.inception --convert.") from e
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
  problems += [f"unexpected key {k}" for k in extra]
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

  Weights from `weights_path` or $GANJAX_INCEPTION_WEIGHTS (see load_inception_params).
  """
  return make_feature_fn(load_inception_params(weights_path), batch_size, precision)


def make_feature_fn(variables: dict[str, Any], batch_size: int = 50, precision: Any = PRECISION
                    ) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
  """The batched, jitted feature function over given FIDInceptionV3 `variables`.

  Batches of `batch_size`, the last one zero-padded so the network compiles once; only the
  cheap resize compiles per input size. Batch i+1 is queued before batch i is fetched.
  """
  if batch_size < 1:
    raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
  variables = jax.device_put(variables)
  options = compiler_options(jax.default_backend())
  net = jax.jit(FIDInceptionV3(precision=precision).apply, compiler_options=options)
  prep = jax.jit(preprocess, compiler_options=options)

  def features(images) -> tuple[np.ndarray, np.ndarray]:
    images = check_images(images)
    pools, logits, pending = [], [], None
    for start in range(0, len(images), batch_size):
      batch = images[start:start + batch_size]
      n = len(batch)
      if n < batch_size:
        batch = np.concatenate([batch, np.zeros((batch_size - n, *batch.shape[1:]), batch.dtype)])
      out = net(variables, prep(batch))
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
