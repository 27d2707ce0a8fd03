"""What experiments/encode.py does: map a .npy of images through a trained run's encoder E to
latents z = E(x), and optionally decode them again to reconstructions G(E(x)).

Any family whose objective has the Encoder capability (ganjax/core/capabilities.py: `encode(state,
x, *, ema) -> z [B, latent]`, `decode(state, z, *, ema) -> images`) can encode (BiGAN / ALI, VAE);
the others raise a ConfigError saying so.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from ganjax.core.capabilities import Encoder, supports
from ganjax.errors import ConfigError, DataFormatError
from ganjax.images import to_uint8
from ganjax.metrics.scoring import load_sample_file
from ganjax.train.experiment import Experiment, build_experiment
from ganjax.train.restore import load_config, restore_state

# The shipped families whose objective has encode and decode, for error messages.
ENCODING_FAMILIES = ("bigan", "vae")


def check_can_encode(exp: Experiment) -> None:
  """ConfigError unless the run's objective can encode and decode."""
  if not supports(exp.objective, Encoder):
    raise ConfigError(f"model {exp.config.model.name!r} has no encoder: encoding needs a family "
                      f"whose objective has encode and decode ({', '.join(ENCODING_FAMILIES)}); "
                      f"train one of those, e.g. experiments/configs/bigan_fashion_mnist.py.")


def load_images(path: str, shape: tuple[int, ...], dataset: str) -> np.ndarray:
  """The uint8 [N, *shape] images (N >= 2) in the .npy at `path`, memory-mapped; DataFormatError
  for anything else (ganjax.metrics.scoring.load_sample_file; a wrong [H, W, C] names both)."""
  x = load_sample_file(path)
  if tuple(x.shape[1:]) != tuple(shape):
    raise DataFormatError(
        f"input file {path}: images of shape {tuple(x.shape[1:])}, but the run was trained on "
        f"{dataset!r} images of shape {tuple(shape)}; expected uint8 "
        f"[N, {', '.join(map(str, shape))}]. Fix: resize the images to {tuple(shape)} (or encode "
        f"with a run trained on images of that shape).")
  return x


def encode_images(exp: Experiment, state, images: np.ndarray, *, ema: bool = True,
                  reconstruct: bool = False, batch_size: int = 256):
  """(z [N, latent] float32, G(E(x)) uint8 [N, H, W, C] or None) of uint8 images [N, H, W, C].

  Batches of `batch_size` (the last one padded, so one compiled shape serves every batch); E and
  G run in eval mode, with their EMA weights when `ema`."""
  obj = exp.objective
  n = len(images)
  if n == 0:
    raise DataFormatError("no images to encode: expected uint8 [N, H, W, C] with N >= 1.")
  if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
    raise ConfigError(f"--batch_size must be an integer >= 1, got {batch_size!r}.")
  b = min(batch_size, n)
  encode = jax.jit(lambda s, x: obj.encode(s, x, ema=ema))
  decode = jax.jit(lambda s, z: obj.decode(s, z, ema=ema))
  latents, recs = [], []
  for start in range(0, n, b):
    chunk = np.asarray(images[start:start + b], np.float32) / 127.5 - 1.0  # as the data pipeline
    k = len(chunk)
    if k < b:
      chunk = np.concatenate([chunk, np.zeros((b - k, *chunk.shape[1:]), np.float32)])
    z = encode(state, chunk)
    latents.append(np.asarray(jax.device_get(z), np.float32)[:k])
    if reconstruct:
      recs.append(to_uint8(jax.device_get(decode(state, z)))[:k])
  return np.concatenate(latents), (np.concatenate(recs) if reconstruct else None)


def _npy_path(path: str, flag: str) -> str:
  if not path.lower().endswith(".npy"):
    raise ConfigError(f"{flag} must end in .npy, got {path!r}.")
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  return path


def encode_file(workdir: str, input_path: str, out: str, *, reconstruct: str | None = None,
                ema: bool = True, step: int | None = None, batch_size: int = 256) -> dict:
  """Encodes the uint8 [N, H, W, C] images in `input_path` with the run in `workdir` (checkpoint
  `step`, newest by default): writes latents float32 [N, latent] to `out` and, with
  `reconstruct`, the uint8 [N, H, W, C] reconstructions G(E(x)) there. Returns {"latents": (path,
  shape), "reconstruction": (path, shape) or None}. The family is checked before the checkpoint
  is read and the input before anything is compiled."""
  _npy_path(out, "--out")
  if reconstruct:
    _npy_path(reconstruct, "--reconstruct")
  exp = build_experiment(load_config(workdir))
  check_can_encode(exp)
  images = load_images(input_path, exp.data_shape, exp.config.dataset.name)
  state = restore_state(exp, workdir, step)
  z, rec = encode_images(exp, state, images, ema=ema, reconstruct=bool(reconstruct),
                         batch_size=batch_size)
  np.save(out, z)
  result = {"latents": (out, z.shape), "reconstruction": None}
  if reconstruct:
    np.save(reconstruct, rec)
    result["reconstruction"] = (reconstruct, rec.shape)
  return result
