r"""Every convolution of the seed DCGAN's train step, timed alone in ganjax (XLA:CPU) and PyTorch.

  python benchmarks/conv_ops.py --batch=256 --rounds=3 --reps=3 [--kernels=xla|onednn]

The step's convolutions (forward, input gradient, kernel gradient of D's two strided convolutions
and G's two stride-2 up-convolutions, each at the batch it runs at: D's update runs D on real and
fake, 2B rows; the G update runs D on B fakes) are timed one at a time: ganjax as the step
computes them with the cpu layer set (`ganjax.backends.cpu.adjoint_convs`: `conv2d` and
`conv2d_transpose` with their custom gradients and `--kernels` as `runtime.conv_kernels`, default
"auto", each jitted alone on device-resident operands), PyTorch as its autograd calls
them (`F.conv2d`, `F.conv_transpose2d`, `aten.convolution_backward` with one output selected, NCHW).
Each op's time is the median over `rounds` rounds (frameworks alternate which goes first) of the
mean of `reps` calls. The table gives ms per call, calls per step, and the per-step sums: how much
of each framework's step is convolution, and how fast ganjax's step could be if everything else
cost nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def layer_specs(batch: int) -> list[dict]:
  """The step's convolution layers: name, rows N, input [N, H, W, C_in], kernel, kind, calls."""
  d1 = dict(hw=28, cin=1, cout=64, kind="conv")
  d2 = dict(hw=14, cin=64, cout=128, kind="conv")
  g0 = dict(hw=7, cin=128, cout=64, kind="up")
  g1 = dict(hw=14, cin=64, cout=1, kind="up")
  two_b = 2 * batch
  return [
      # D update: G forward on B latents, D on 2B images, D's backward (no input grad at layer 1).
      dict(layer="G up0", n=batch, op="fwd", calls=2, **g0),   # D update + G update
      dict(layer="G up1", n=batch, op="fwd", calls=2, **g1),
      dict(layer="D conv1", n=two_b, op="fwd", calls=1, **d1),
      dict(layer="D conv2", n=two_b, op="fwd", calls=1, **d2),
      dict(layer="D conv2", n=two_b, op="dkernel", calls=1, **d2),
      dict(layer="D conv2", n=two_b, op="dinput", calls=1, **d2),
      dict(layer="D conv1", n=two_b, op="dkernel", calls=1, **d1),
      # G update: D on B fakes, gradients through D to the images, then G's backward.
      dict(layer="D conv1", n=batch, op="fwd", calls=1, **d1),
      dict(layer="D conv2", n=batch, op="fwd", calls=1, **d2),
      dict(layer="D conv2", n=batch, op="dinput", calls=1, **d2),
      dict(layer="D conv1", n=batch, op="dinput", calls=1, **d1),
      dict(layer="G up1", n=batch, op="dinput", calls=1, **g1),
      dict(layer="G up1", n=batch, op="dkernel", calls=1, **g1),
      dict(layer="G up0", n=batch, op="dinput", calls=1, **g0),
      dict(layer="G up0", n=batch, op="dkernel", calls=1, **g0),
  ]


def gflop(spec: dict) -> float:
  """Multiply-adds x 2 of the op as a dense convolution (stride 2, 5x5 taps)."""
  small_hw = spec["hw"] // 2 if spec["kind"] == "conv" else spec["hw"]
  return 2 * spec["n"] * small_hw ** 2 * spec["cin"] * spec["cout"] * 25 / 1e9


def jax_op(spec: dict, rng: np.random.Generator, ynnpack: bool = False, kernels: str = "xla"):
  """A zero-argument callable running the jitted op on device-resident operands, compiled with
  ganjax's XLA options (ganjax/runtime/xla_options.py), and the function that waits for its result."""
  import jax
  import jax.numpy as jnp
  from ganjax.backends.cpu.adjoint_convs import conv2d, conv2d_transpose, same_transpose_padding
  from ganjax.runtime.xla_options import compiler_options

  jit = lambda fn: jax.jit(fn, compiler_options=compiler_options("cpu", ynnpack))

  n, hw, cin, cout = spec["n"], spec["hw"], spec["cin"], spec["cout"]
  x = jnp.asarray(rng.standard_normal((n, hw, hw, cin), np.float32))
  w = jnp.asarray(rng.standard_normal((5, 5, cin, cout), np.float32) * 0.05)
  if spec["kind"] == "conv":
    pads = tuple(tuple(int(v) for v in p)
                 for p in jax.lax.padtype_to_pads((hw, hw), (5, 5), (2, 2), "SAME"))
    f = lambda x, w: conv2d(x, w, (2, 2), pads, kernels)
  else:
    low = (same_transpose_padding(5, 2),) * 2
    f = lambda x, w: conv2d_transpose(x, w, (2, 2), low, kernels)
  y = jax.eval_shape(f, x, w)
  g = jnp.asarray(rng.standard_normal(y.shape, np.float32))
  if spec["op"] == "fwd":
    fn = jit(f)
    args = (x, w)
  elif spec["op"] == "dinput":
    fn = jit(lambda x, w, g: jax.vjp(lambda x: f(x, w), x)[1](g)[0])
    args = (x, w, g)
  else:
    fn = jit(lambda x, w, g: jax.vjp(lambda w: f(x, w), w)[1](g)[0])
    args = (x, w, g)
  jax.block_until_ready(fn(*args))
  return lambda: fn(*args), jax.block_until_ready


def torch_op(spec: dict, rng: np.random.Generator):
  import torch
  import torch.nn.functional as F

  n, hw, cin, cout = spec["n"], spec["hw"], spec["cin"], spec["cout"]
  x = torch.from_numpy(rng.standard_normal((n, cin, hw, hw), np.float32))
  transposed = spec["kind"] == "up"
  # PyTorch's weight layouts: Conv2d [C_out, C_in, kh, kw], ConvTranspose2d [C_in, C_out, kh, kw].
  w_shape = (cin, cout, 5, 5) if transposed else (cout, cin, 5, 5)
  w = torch.from_numpy(rng.standard_normal(w_shape, np.float32) * 0.05)
  out_pad = (1, 1) if transposed else (0, 0)
  if transposed:
    f = lambda: F.conv_transpose2d(x, w, stride=2, padding=2, output_padding=1)
  else:
    f = lambda: F.conv2d(x, w, stride=2, padding=2)
  with torch.no_grad():
    g = torch.randn_like(f())
  if spec["op"] == "fwd":
    fn = f
  else:
    mask = [spec["op"] == "dinput", spec["op"] == "dkernel", False]
    fn = lambda: torch.ops.aten.convolution_backward(
        g, x, w, None, [2, 2], [2, 2], [1, 1], transposed, list(out_pad), 1, mask)
  with torch.no_grad():
    fn()
  return lambda: torch.no_grad()(fn)(), lambda out: out


def time_op(call_block, reps: int) -> float:
  call, block = call_block
  t0 = time.perf_counter()
  for _ in range(reps):
    out = call()
  block(out)
  return (time.perf_counter() - t0) / reps * 1e3


def main() -> None:
  p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--batch", type=int, default=256)
  p.add_argument("--rounds", type=int, default=3)
  p.add_argument("--reps", type=int, default=3)
  p.add_argument("--ynnpack", action="store_true", help="ganjax ops with XLA:CPU's YNNPACK dots")
  p.add_argument("--kernels", default="auto", choices=["auto", "xla", "onednn"],
                 help="ganjax's convolution kernels, as runtime.conv_kernels")
  args = p.parse_args()
  sys.path.insert(0, ROOT)
  import jax.numpy as jnp
  from ganjax.backends import resolve_conv_kernels
  kernels = resolve_conv_kernels(args.kernels, jnp.float32, None)
  import torch
  torch.set_num_threads(os.cpu_count())

  specs = layer_specs(args.batch)
  rng = np.random.default_rng(0)
  ops = [{"jax": jax_op(s, rng, args.ynnpack, kernels), "torch": torch_op(s, rng)} for s in specs]
  times = [{"jax": [], "torch": []} for _ in specs]
  for r in range(args.rounds):
    order = ("jax", "torch") if r % 2 == 0 else ("torch", "jax")
    for framework in order:
      time.sleep(0.2)  # let the other framework's worker threads stop spinning
      for op, t in zip(ops, times):
        t[framework].append(time_op(op[framework], args.reps))

  print(f"batch {args.batch}, ganjax kernels {kernels}: ms per call (median of {args.rounds} "
        f"rounds x {args.reps} calls)")
  print("| layer | rows | op | calls/step | GFLOP | ganjax ms | PyTorch ms | ganjax / PyTorch time | ganjax GFLOP/s | PyTorch GFLOP/s |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  total = {"jax": 0.0, "torch": 0.0}
  for s, t in zip(specs, times):
    mj, mt = np.median(t["jax"]), np.median(t["torch"])
    total["jax"] += s["calls"] * mj
    total["torch"] += s["calls"] * mt
    fl = gflop(s)
    print(f"| {s['layer']} | {s['n']} | {s['op']} | {s['calls']} | {fl:.2f} | {mj:.1f} | {mt:.1f} | "
          f"{mj / mt:.2f} | {fl / mj * 1e3:.0f} | {fl / mt * 1e3:.0f} |")
  print(f"per-step convolution time: ganjax {total['jax']:.0f} ms, PyTorch {total['torch']:.0f} ms "
        f"(ratio {total['jax'] / total['torch']:.2f})")


if __name__ == "__main__":
  main()
