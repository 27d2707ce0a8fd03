"""Spectral normalization (Miyato et al. 2018, "Spectral Normalization for GANs") as an option of
any layer: `maybe_spectral_norm(nn.Conv(...), enabled=..., train=...)(x)`.

Each kernel W (every parameter with ndim >= 2; biases are untouched) is divided by sigma, its
largest singular value estimated by power iteration (flax.linen.SpectralNorm):

  v = normalize(u W^T);  u = normalize(v W);  sigma = v W u^T;  W_sn = W / sigma

u: [1, out] persists across steps in the "spectral_stats" collection (next to its sigma), so one
iteration per step (the paper's choice) keeps a converged estimate; u and sigma carry no gradient.
In train mode the new u and sigma are written back: the objective keeps the D-loss pass's
update in the critic player's collections and drops the copies its G-loss pass and penalty critics make.
In eval mode u is read and not written. The parameter names are those of the unwrapped layer.

Which matrix: a kernel of shape [..., out] is reshaped to [prod(...), out], i.e. a Dense kernel
[in, out] as is and a Conv kernel [kh, kw, in, out] as [kh * kw * in, out]. That is the transpose of
Miyato et al.'s reshape of the [out, in, kh, kw] weight to [out, in * kh * kw]; a matrix and its
transpose share their singular values, so sigma is the paper's. Like the paper, this normalises the
reshaped kernel, not the convolution operator (whose norm can differ by up to a factor kh * kw).
"""

from __future__ import annotations

import functools
from typing import Callable

import flax.linen as nn
import jax

SPECTRAL_STATS = "spectral_stats"


def maybe_spectral_norm(layer: nn.Module, *, enabled: bool, train: bool,
                  n_steps: int = 1) -> Callable[..., jax.Array]:
  """`layer`, or `layer` with spectrally normalised kernels when `enabled` (call it inside the
  parent's compact method). train: update u and sigma in the "spectral_stats" collection."""
  if not enabled:
    return layer
  wrapped = nn.SpectralNorm(layer, n_steps=n_steps, collection_name=SPECTRAL_STATS)
  return functools.partial(wrapped, update_stats=train)
