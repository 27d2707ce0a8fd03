"""Model FLOPs (benchmarks/flops.py), checked against multiply-adds counted by hand."""

import jax
import jax.numpy as jnp
import pytest

from benchmarks.flops import count_flops, peak_flops


def _strided_pairs(n_out: int, taps: int, n_in: int, stride: int, low: int) -> int:
  """(output, tap) pairs of a strided convolution's axis that read a real (unpadded) input."""
  return sum(1 for o in range(n_out) for t in range(taps) if 0 <= stride * o + t - low < n_in)


def _transposed_pairs(n_in: int, taps: int, stride: int, low: int) -> int:
  """The same for a transposed convolution: output j reads dilated input j + t - low, which is a
  real element only at multiples of the stride."""
  return sum(1 for j in range(n_in * stride) for t in range(taps)
             if (j + t - low) % stride == 0 and 0 <= (j + t - low) // stride < n_in)


def _conv(x, w):
  return jax.lax.conv_general_dilated(x, w, (2, 2), "SAME",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))


def test_strided_convolution_counts_real_taps_only_and_its_gradients_the_same():
  x, w = jnp.zeros((3, 14, 14, 64)), jnp.zeros((5, 5, 64, 128))
  # "SAME" on 14 -> 7 with 5 taps pads 1 low, 2 high: 32 of the 35 pairs per axis read data.
  assert _strided_pairs(7, 5, 14, 2, 1) == 32
  forward = 2 * 3 * 64 * 128 * 32 * 32
  assert count_flops(_conv, x, w) == forward
  # The kernel gradient (an rhs-dilated convolution) and the input gradient (lhs-dilated) do the
  # same multiply-adds as the forward; the primal that jax.vjp traces is dead code, not counted.
  assert count_flops(jax.grad(lambda w: _conv(x, w).sum()), w) == forward
  assert count_flops(jax.grad(lambda x: _conv(x, w).sum()), x) == forward
  assert count_flops(jax.grad(lambda x, w: _conv(x, w).sum(), (0, 1)), x, w) == 2 * forward
  from ganjax.backends.cpu.kernels import onednn
  if onednn.available():  # oneDNN's forward, backward-data and backward-weights FFI calls
    ours = lambda x, w: onednn.conv(x, w, (2, 2), ((1, 2), (1, 2))).sum()
    assert count_flops(ours, x, w) == forward
    assert count_flops(jax.grad(ours, (0, 1)), x, w) == 2 * forward


def test_transposed_convolution_counts_no_dilation_zeros():
  x, w = jnp.zeros((2, 7, 7, 128)), jnp.zeros((5, 5, 128, 64))
  f = lambda x, w: jax.lax.conv_transpose(x, w, (2, 2), "SAME")
  pairs = _transposed_pairs(7, 5, 2, 3)  # lax's "SAME" pads the dilated input 3 low
  assert pairs < 7 * 5, "each input row reaches at most 5 output rows"
  assert count_flops(f, x, w) == 2 * 2 * 128 * 64 * pairs * pairs


def test_dots_scans_and_conds_are_counted_by_what_runs():
  a, b = jnp.zeros((4, 8, 16)), jnp.zeros((16, 32))
  assert count_flops(lambda a, b: a @ b, a, b) == 2 * 4 * 8 * 32 * 16
  # lax.fori_loop with Python bounds is a scan: its body counts once per iteration.
  looped = lambda c: jax.lax.fori_loop(0, 5, lambda i, c: c @ jnp.ones((32, 32)), c)
  assert count_flops(looped, jnp.zeros((8, 32))) == 5 * 2 * 8 * 32 * 32
  branchy = lambda p, c: jax.lax.cond(p, lambda: c @ c @ c, lambda: c @ c)
  assert count_flops(branchy, True, jnp.zeros((8, 8))) == 2 * 2 * 8 * 8 * 8
  with pytest.raises(ValueError, match="while_loop"):
    count_flops(lambda n: jax.lax.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] @ c[1]),
                                             (0, jnp.eye(4)))[1], 3)


def _dcgan_step_flops(batch: int, layers: str, conv_kernels: str = "auto") -> float:
  from experiments.configs import dcgan_fashion_mnist
  from ganjax.train.experiment import build_experiment
  from ganjax.train.timing import random_batch
  c = dcgan_fashion_mnist.get_config()
  c.batch_size = batch
  c.runtime.update(layers=layers, conv_kernels=conv_kernels)
  exp = build_experiment(c)
  return count_flops(exp.train_step, exp.init_state(), random_batch(exp, batch))


def dcgan_step_flops_by_hand(b: int) -> int:
  """The seed DCGAN's train step at batch b on 28x28x1 images, layer by layer."""
  d1 = 2 * 1 * 64 * _strided_pairs(14, 5, 28, 2, 1) ** 2       # per example, 28 -> 14
  d2 = 2 * 64 * 128 * _strided_pairs(7, 5, 14, 2, 1) ** 2      # 14 -> 7
  g0 = 2 * 128 * 64 * _transposed_pairs(7, 5, 2, 3) ** 2       # 7 -> 14
  g1 = 2 * 64 * 1 * _transposed_pairs(14, 5, 2, 3) ** 2        # 14 -> 28
  g_dense, d_dense = 2 * 32 * 7 * 7 * 128, 2 * 7 * 7 * 128
  g_fwd = g_dense + g0 + g1
  d_fwd = d1 + d2 + d_dense
  # D update on real + fake (2B rows): G forward on B, D forward, D backward without the image
  # gradient (kernel gradients of all three layers, input gradients above the first).
  d_update = b * g_fwd + 2 * b * (d_fwd + d_fwd + (d2 + d_dense))
  # G update: G forward, D forward, D input gradients down to the images, G's backward (no
  # gradient into z).
  g_update = b * (g_fwd + d_fwd + d_fwd + g_fwd + (g0 + g1))
  return d_update + g_update


def test_dcgan_train_step_flops_match_the_layers_counted_by_hand():
  b = 16
  expected = dcgan_step_flops_by_hand(b)
  reference = _dcgan_step_flops(b, "flax")  # flax's layers: XLA's convolutions and gradients
  assert reference == pytest.approx(expected, rel=5e-3)
  # The cpu layer set (ganjax/backends/cpu/: sub-pixel phases, patch matmuls) does the same work,
  # plus the padding zeros its patch matrices hold and BatchNorm's channel sums written as dots.
  fast = _dcgan_step_flops(b, "cpu", conv_kernels="xla")
  assert reference <= fast <= 1.01 * reference
  # With oneDNN's convolutions (FFI calls, counted from their shapes) the same, less the zeros.
  from ganjax.backends.cpu.kernels import onednn
  if onednn.available():
    assert reference <= _dcgan_step_flops(b, "cpu", conv_kernels="onednn") <= fast


def test_peak_flops_known_for_accelerators_and_none_for_cpus():
  class Dev:
    device_kind = "NVIDIA H200"
  assert peak_flops(Dev(), "bfloat16") == pytest.approx(989.4e12)
  assert peak_flops(Dev(), "float32") < peak_flops(Dev(), "tfloat32") < peak_flops(Dev(), "bfloat16")
  assert peak_flops(jax.devices("cpu")[0]) is None
