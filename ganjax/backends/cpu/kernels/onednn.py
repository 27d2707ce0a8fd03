"""oneDNN convolutions on XLA:CPU: JAX FFI calls, differentiable to any order.

XLA:CPU runs convolutions with Eigen's kernels. oneDNN (the CPU library PyTorch uses) runs the
seed DCGAN's 64/128-channel convolutions faster on the 2-core AVX-512 machine, the kernel gradient
most (BENCHMARKS.md, "oneDNN convolutions"). `onednn_conv.cc` (beside this file) wraps its
forward, backward-data and backward-weights primitives as three XLA FFI handlers; here they become

  conv(x, w, strides, padding)                       x [B, H, W, Ci], w [kh, kw, Ci, Co] -> y
  conv_input_grad(g, w, x_shape, strides, padding)   g [B, Ho, Wo, Co] -> dx [*x_shape]
  conv_kernel_grad(x, g, w_shape, strides, padding)  -> dw [*w_shape]

float32 only, NHWC / HWIO, explicit non-negative padding ((lo, hi), (lo, hi)), no dilation. Each
is a linear map of each argument whose VJP is another of the three, so gradients of gradients
(R1 penalties) work. Same values as `lax.conv_general_dilated` to float32 rounding
(tests/test_onednn.py).

The handlers are compiled on first use with the system C++ compiler against the `onednn-cpu-gomp`
and `onednn-devel-cpu-gomp` wheels (the `cpu-kernels` extra) into ~/.cache/ganjax/kernels
(GANJAX_KERNEL_CACHE overrides), ~3 s once per source/jaxlib version. `available()` says whether
that worked and `unavailable_reason()` why not; ganjax then keeps XLA's convolutions.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np

SOURCE = Path(__file__).with_name("onednn_conv.cc")
_TARGETS = {"fwd": "GanjaxOnednnConvFwd", "bwd_data": "GanjaxOnednnConvBwdData",
            "bwd_weights": "GanjaxOnednnConvBwdWeights"}
_INSTALL_HINT = "pip install 'ganjax[cpu-kernels]' (onednn-cpu-gomp, onednn-devel-cpu-gomp)"

Padding = tuple[tuple[int, int], tuple[int, int]]


def _wheel_file(distribution: str, suffix: str) -> Path | None:
  """The installed file of `distribution` whose path ends with `suffix`, or None."""
  try:
    files = importlib.metadata.distribution(distribution).files or ()
  except importlib.metadata.PackageNotFoundError:
    return None
  for f in files:
    path = Path(f.locate()).resolve()  # RECORD paths are relative to site-packages ("../../libdnnl.so")
    if path.as_posix().endswith(suffix):
      return path
  return None


def _cache_dir() -> Path:
  return Path(os.environ.get("GANJAX_KERNEL_CACHE", "~/.cache/ganjax/kernels")).expanduser()


@functools.lru_cache(maxsize=None)
def _build() -> tuple[Path | None, str | None]:
  """(path of the compiled handler library, None) or (None, why it could not be built)."""
  lib = _wheel_file("onednn-cpu-gomp", "lib/libdnnl.so")
  header = _wheel_file("onednn-devel-cpu-gomp", "include/oneapi/dnnl/dnnl.hpp")
  if lib is None or header is None:
    return None, f"the oneDNN wheels are not installed; {_INSTALL_HINT}"
  include = header.parents[2]
  cxx = os.environ.get("CXX", "g++")
  if shutil.which(cxx) is None:
    return None, f"no C++ compiler {cxx!r} on PATH (set CXX, or install g++)"
  flags = ["-O2", "-std=c++17", "-shared", "-fPIC", "-w", f"-I{jax.ffi.include_dir()}",
           f"-I{include}", str(SOURCE), f"-L{lib.parent}", "-ldnnl", f"-Wl,-rpath,{lib.parent}"]
  digest = hashlib.sha256("\0".join([SOURCE.read_text(), jax.__version__, *flags]).encode())
  out = _cache_dir() / f"onednn_conv-{digest.hexdigest()[:16]}.so"
  if out.exists():
    return out, None
  out.parent.mkdir(parents=True, exist_ok=True)
  # Built beside its final name and renamed: a concurrent process never loads half a file.
  fd, tmp = tempfile.mkstemp(suffix=".so", dir=out.parent)
  os.close(fd)
  proc = subprocess.run([cxx, *flags, "-o", tmp], capture_output=True, text=True)
  if proc.returncode != 0:
    os.unlink(tmp)
    return None, f"compiling {SOURCE.name} failed:\n{proc.stderr[-2000:]}"
  os.replace(tmp, out)
  return out, None


@functools.lru_cache(maxsize=None)
def _registered() -> str | None:
  """Loads the library and registers its handlers with XLA:CPU; None, or why it failed."""
  path, reason = _build()
  if path is None:
    return reason
  try:
    lib = ctypes.cdll.LoadLibrary(str(path))
  except OSError as e:
    return f"loading {path} failed: {e}"
  for name, symbol in _TARGETS.items():
    jax.ffi.register_ffi_target(f"ganjax_onednn_conv_{name}", jax.ffi.pycapsule(getattr(lib, symbol)),
                                platform="cpu")
  return None


def unavailable_reason() -> str | None:
  """None when the oneDNN convolutions can run here, else a sentence naming the problem and fix."""
  return _registered()


def available() -> bool:
  return unavailable_reason() is None


def supports(strides: Sequence[int], padding: Padding, dtype) -> bool:
  """Whether a convolution with this geometry and dtype can go to oneDNN."""
  return (jnp.dtype(dtype) == jnp.float32 and len(strides) == 2
          and all(p >= 0 for pair in padding for p in pair))


def _call(name: str, out_shape, a, b, strides, padding):
  reason = unavailable_reason()
  if reason is not None:
    raise RuntimeError(f"oneDNN convolutions are unavailable: {reason}")
  if a.dtype != jnp.float32 or b.dtype != jnp.float32:
    raise TypeError(f"oneDNN convolutions take float32, got {a.dtype} and {b.dtype}; "
                    "use runtime.conv_kernels = 'xla' for other dtypes.")
  (lo_h, hi_h), (lo_w, hi_w) = padding
  attrs = dict(sh=np.int64(strides[0]), sw=np.int64(strides[1]), plh=np.int64(lo_h),
               phh=np.int64(hi_h), plw=np.int64(lo_w), phw=np.int64(hi_w))
  return jax.ffi.ffi_call(f"ganjax_onednn_conv_{name}", jax.ShapeDtypeStruct(out_shape, jnp.float32),
                          vmap_method="sequential")(a, b, **attrs)


def conv_output_hw(in_hw, w_shape, strides, padding) -> tuple[int, int]:
  """(Ho, Wo) of a convolution of an (H, W) input with kernel [kh, kw, ...], explicit padding."""
  return tuple((n + lo + hi - k) // s + 1
               for n, (lo, hi), k, s in zip(in_hw, padding, w_shape[:2], strides))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3))
def conv(x: jax.Array, w: jax.Array, strides: tuple[int, int], padding: Padding) -> jax.Array:
  """lax.conv_general_dilated(x, w, strides, padding) in NHWC / HWIO: [B, Ho, Wo, Co] float32."""
  out = (x.shape[0], *conv_output_hw(x.shape[1:3], w.shape, strides, padding), w.shape[3])
  return _call("fwd", out, x, w, strides, padding)


def _conv_fwd(x, w, strides, padding):
  return conv(x, w, strides, padding), (x, w)


def _conv_bwd(strides, padding, res, g):
  x, w = res
  return (conv_input_grad(g, w, x.shape, strides, padding),
          conv_kernel_grad(x, g, w.shape, strides, padding))


conv.defvjp(_conv_fwd, _conv_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv_input_grad(g: jax.Array, w: jax.Array, x_shape: tuple[int, ...], strides: tuple[int, int],
                    padding: Padding) -> jax.Array:
  """d conv(x, w) / dx applied to g [B, Ho, Wo, Co] -> [*x_shape] (a transposed convolution)."""
  return _call("bwd_data", tuple(x_shape), g, w, strides, padding)


def _input_grad_fwd(g, w, x_shape, strides, padding):
  return conv_input_grad(g, w, x_shape, strides, padding), (g, w)


def _input_grad_bwd(x_shape, strides, padding, res, ct):
  g, w = res
  return conv(ct, w, strides, padding), conv_kernel_grad(ct, g, w.shape, strides, padding)


conv_input_grad.defvjp(_input_grad_fwd, _input_grad_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4))
def conv_kernel_grad(x: jax.Array, g: jax.Array, w_shape: tuple[int, ...], strides: tuple[int, int],
                     padding: Padding) -> jax.Array:
  """d conv(x, w) / dw applied to g [B, Ho, Wo, Co] -> [*w_shape]."""
  return _call("bwd_weights", tuple(w_shape), x, g, strides, padding)


def _kernel_grad_fwd(x, g, w_shape, strides, padding):
  return conv_kernel_grad(x, g, w_shape, strides, padding), (x, g)


def _kernel_grad_bwd(w_shape, strides, padding, res, ct):
  x, g = res
  return conv_input_grad(g, ct, x.shape, strides, padding), conv(x, ct, strides, padding)


conv_kernel_grad.defvjp(_kernel_grad_fwd, _kernel_grad_bwd)
