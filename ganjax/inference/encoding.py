"""Encoding images with a trained run's encoder: z = E(x), and reconstructions G(E(x)).

Any family whose objective has the Encoder capability (ganjax/core/capabilities.py: `encode(state,
x, *, ema) -> z [B, latent]`, `decode(state, z, *, ema) -> images`) can encode (BiGAN / ALI, VAE);
the others raise a ConfigError saying so. The file tool (experiments/encode.py) is
ganjax/train/encoding.py.
"""

from __future__ import annotations

import jax
import numpy as np

from ganjax.core.capabilities import Encoder, supports
from ganjax.errors import ConfigError, DataFormatError
from ganjax.images import to_uint8

# The shipped families whose objective has encode and decode, for error messages.
ENCODING_FAMILIES = ("bigan", "vae")


def check_can_encode(exp) -> None:
  """ConfigError unless the run's objective can encode and decode."""
  if not supports(exp.objective, Encoder):
    raise ConfigError(f"model {exp.config.model.name!r} has no encoder: encoding needs a family "
                      f"whose objective has encode and decode ({', '.join(ENCODING_FAMILIES)}); "
                      f"train one of those, e.g. experiments/configs/bigan_fashion_mnist.py.")


def encode_images(exp, state, images: np.ndarray, *, ema: bool = True,
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
