"""Model FLOPs of a JAX function, counted on its jaxpr: the matmul-like work a step really needs.

`count_flops(fn, *args)` traces `fn` (nothing runs) and sums, over every `dot_general` and
`conv_general_dilated` in it and in every sub-jaxpr (jit, custom derivatives, `cond`, `scan`,
`shard_map`), and ganjax's oneDNN convolution calls, 2 x the multiply-adds whose operands both
come from real data:

- dot_general: 2 * prod(output shape) * prod(contracted sizes).
- conv_general_dilated: 2 * output batch * output features * input features per group * the
  (output position, kernel tap) pairs per spatial axis that land on a real input element, i.e.
  not on zero padding and not between the elements of an `lhs_dilation`. A transposed
  convolution (lhs-dilated) thus counts only its useful taps, a kernel gradient (rhs-dilated)
  its true contraction length, and "SAME" padding no border zeros.

Elementwise work (activations, normalisation, optimizer updates, random bits) is not counted,
as in the usual model-FLOPs convention; a `while_loop` (unknown trip count) is an error.
Model-FLOP utilisation (MFU) is `flops * steps_per_s / peak FLOP/s`; `peak_flops` knows the
dense peaks of common accelerators.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.extend.core as jex
import numpy as np

# Dense (no sparsity) peak FLOP/s per chip by `device_kind` prefix: (bf16 / fp16 tensor cores,
# tf32 tensor cores, plain fp32), from the vendors' data sheets (SXM parts).
_PEAKS = {
    "NVIDIA H200": (989.4e12, 494.7e12, 66.9e12),
    "NVIDIA H100": (989.4e12, 494.7e12, 66.9e12),
    "NVIDIA A100": (312e12, 156e12, 19.5e12),
    "NVIDIA L4": (121e12, 60e12, 30.3e12),
}


def _conv_axis_pairs(out: int, taps: int, n_in: int, stride: int, lhs_dil: int, rhs_dil: int,
                     low_pad: int) -> int:
  """(output position, tap) pairs of one spatial axis whose input is a real element."""
  o = np.arange(out)[:, None]
  t = np.arange(taps)[None, :]
  q = o * stride + t * rhs_dil - low_pad  # position in the lhs-dilated input
  real = (q >= 0) & (q <= (n_in - 1) * lhs_dil) & (q % lhs_dil == 0)
  return int(real.sum())


def _conv_flops(eqn) -> int:
  lhs, rhs = (v.aval.shape for v in eqn.invars[:2])
  out = eqn.outvars[0].aval.shape
  p = eqn.params
  dn = p["dimension_numbers"]
  (l_b, l_f, *l_sp), (r_o, r_i, *r_sp), (o_b, o_f, *o_sp) = dn.lhs_spec, dn.rhs_spec, dn.out_spec
  macs = out[o_b] * out[o_f] * rhs[r_i]
  for d, (ls, rs, os) in enumerate(zip(l_sp, r_sp, o_sp)):
    macs *= _conv_axis_pairs(out[os], rhs[rs], lhs[ls], p["window_strides"][d],
                             p["lhs_dilation"][d], p["rhs_dilation"][d], p["padding"][d][0])
  return 2 * macs


def _onednn_conv_flops(eqn) -> int:
  """ganjax's oneDNN convolution FFI calls (ganjax/backends/cpu/kernels/onednn.py): each of the
  forward, backward-data and backward-weights calls does the forward convolution's multiply-adds."""
  a = dict(eqn.params["attributes"])
  shapes = [v.aval.shape for v in eqn.invars] + [eqn.params["result_avals"][0].shape]
  op = eqn.params["target_name"].removeprefix("ganjax_onednn_conv_")
  x, w, y = {"fwd": (0, 1, 2), "bwd_data": (2, 1, 0), "bwd_weights": (0, 2, 1)}[op]
  x, w, y = shapes[x], shapes[w], shapes[y]
  macs = y[0] * y[3] * w[2]
  for d, (s, lo) in enumerate(((a["sh"], a["plh"]), (a["sw"], a["plw"]))):
    macs *= _conv_axis_pairs(y[1 + d], w[d], x[1 + d], int(s), 1, 1, int(lo))
  return 2 * macs


def _dot_flops(eqn) -> int:
  lhs = eqn.invars[0].aval.shape
  (contract, _), _ = eqn.params["dimension_numbers"]
  out = eqn.outvars[0].aval.shape
  return 2 * int(np.prod(out, dtype=np.int64)) * int(np.prod([lhs[d] for d in contract],
                                                              dtype=np.int64))


def _sub_jaxprs(value) -> list:
  """The jaxprs held by one equation parameter (a jaxpr, a closed jaxpr, or a tuple of them)."""
  items = value if isinstance(value, (tuple, list)) else (value,)
  return [v.jaxpr if isinstance(v, jex.ClosedJaxpr) else v for v in items
          if isinstance(v, (jex.Jaxpr, jex.ClosedJaxpr))]


# Call-like primitives whose body's outputs are the equation's outputs, one to one.
_CALLS = ("jit", "pjit", "closed_call", "core_call", "remat", "checkpoint", "custom_jvp_call",
          "custom_vjp_call", "shard_map")


def _live_eqns(jaxpr, used: list[bool]) -> list[tuple[Any, list[bool]]]:
  """The equations whose results reach a used output (dead code is what XLA removes: e.g. the
  primal a `jax.vjp` traces only to differentiate), each with which of its outputs are used."""
  live = {v for v, u in zip(jaxpr.outvars, used) if u and isinstance(v, jex.Var)}
  out = []
  for eqn in reversed(jaxpr.eqns):
    eqn_used = [v in live for v in eqn.outvars]
    if not any(eqn_used) and not eqn.effects:
      continue
    live.update(v for v in eqn.invars if isinstance(v, jex.Var))
    out.append((eqn, eqn_used))
  return out[::-1]


def _jaxpr_flops(jaxpr, used: list[bool] | None = None) -> int:
  total = 0
  for eqn, eqn_used in _live_eqns(jaxpr, used or [True] * len(jaxpr.outvars)):
    name = eqn.primitive.name
    if name == "dot_general":
      total += _dot_flops(eqn)
    elif name == "conv_general_dilated":
      total += _conv_flops(eqn)
    elif name == "ffi_call" and eqn.params["target_name"].startswith("ganjax_onednn_conv_"):
      total += _onednn_conv_flops(eqn)
    elif name == "while":
      raise ValueError("count_flops: a while_loop has no static trip count; use lax.scan or "
                       "lax.fori_loop with Python-int bounds.")
    elif name == "cond":  # one branch runs: count the costliest
      total += max(_jaxpr_flops(b, eqn_used) for b in _sub_jaxprs(eqn.params["branches"]))
    else:
      inner = 0
      for value in eqn.params.values():
        for sub in _sub_jaxprs(value):
          one_to_one = name in _CALLS and len(sub.outvars) == len(eqn_used)
          inner += _jaxpr_flops(sub, eqn_used if one_to_one else None)
      if name == "scan":
        inner *= eqn.params["length"]
      elif name == "shard_map":  # the body sees one shard: every device runs it
        inner *= eqn.params["mesh"].size
      total += inner
  return total


def count_flops(fn: Callable, *args: Any, **kwargs: Any) -> int:
  """2 x the real-data multiply-adds of fn(*args, **kwargs)'s dots and convolutions (see the
  module docstring). Arrays or `jax.ShapeDtypeStruct`s; nothing is computed."""
  if hasattr(fn, "trace"):  # a jitted function: trace it as itself (keeps its compiler options)
    closed = fn.trace(*args, **kwargs).jaxpr
  else:
    closed = jax.make_jaxpr(fn)(*args, **kwargs)
  return _jaxpr_flops(closed.jaxpr)


def peak_flops(device: Any, dtype: str = "float32") -> float | None:
  """A device's dense peak FLOP/s for `dtype` ("bfloat16"/"float16": tensor cores; "tfloat32";
  "float32": plain fp32), or None when unknown (CPUs and unlisted accelerators: pass a peak)."""
  kind = getattr(device, "device_kind", str(device))
  column = {"bfloat16": 0, "float16": 0, "tfloat32": 1, "float32": 2}[dtype]
  for prefix, peaks in _PEAKS.items():
    if kind.startswith(prefix):
      return peaks[column]
  return None
