"""StyleGAN2 (ganjax/families/stylegan2, ganjax/nn/stylegan_layers.py): layers against direct
computations, the path-length penalty and R1 against hand computations, truncation, style
mixing, lazy phases, resume bit for bit, 8 devices, and a short run on the digits that learns.

One tiny config (digits 16x16, 16 channels, batch 8) serves every training test, so the train
step compiles once per session (the tests' persistent compilation cache, tests/conftest.py).
"""

import json
import math
import os

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import straight_and_resumed
from ganjax.core.networks import Networks
from ganjax.core.state import GANState, Player
from ganjax.families.stylegan2.networks import STATS, StyleGAN2Generator, noise_dim, num_ws
from ganjax.families.stylegan2.objective import (StyleGAN2Objective, StyleMixingPrior,
                                                 path_length_penalty, path_lengths)
from ganjax.objectives.losses import non_saturating
from ganjax.nn.stylegan_layers import (FIR, EqualConv, EqualDense, ModulatedConv, downsample_2x,
                                       upsample_2x)
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate

KEY = jax.random.PRNGKey(0)
DN = ("NHWC", "HWIO", "NHWC")


def tiny_config():
  from experiments.configs import stylegan2_fashion_mnist32
  c = stylegan2_fashion_mnist32.get_config()
  c.dataset.name = "digits"
  c.model.update(dict(latent_dim=16, w_dim=16, channel_base=256, channel_max=16))
  c.batch_size, c.log_every, c.sample_every = 8, 1, 0
  return c


def _normal(seed, shape, scale=1.0):
  return jnp.asarray(np.random.default_rng(seed).normal(0, scale, shape), jnp.float32)


# ----------------------------------------------------------------------------- layers

def _fir_1d(a: np.ndarray, axis: int, pad, up: int = 1, down: int = 1) -> np.ndarray:
  """The reference's upfirdn along one axis, written out: zero insertion, padding, the 4 taps
  (times `up`), every `down`-th sample."""
  a = np.moveaxis(np.asarray(a, np.float64), axis, 0)
  u = np.zeros((a.shape[0] * up, *a.shape[1:]))
  u[::up] = a
  u = np.concatenate([np.zeros((pad[0], *a.shape[1:])), u, np.zeros((pad[1], *a.shape[1:]))])
  out = np.stack([sum(up * t * u[i + j] for j, t in enumerate(FIR)) for i in range(len(u) - 3)])
  return np.moveaxis(out[::down], 0, axis)


def test_fir_resampling_matches_the_reference_filter():
  x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype(np.float32)
  up = _fir_1d(_fir_1d(x, 1, (2, 1), up=2), 2, (2, 1), up=2)
  np.testing.assert_allclose(upsample_2x(jnp.asarray(x)), up, atol=1e-5)
  # out[2i] = (x[i-1] + 3 x[i]) / 4 in the interior, per axis.
  np.testing.assert_allclose(up[0, 4, 4], (9 * x[0, 2, 2] + 3 * x[0, 1, 2] + 3 * x[0, 2, 1]
                                           + x[0, 1, 1]) / 16, atol=1e-5)
  down = _fir_1d(_fir_1d(x, 1, (1, 1), down=2), 2, (1, 1), down=2)
  np.testing.assert_allclose(downsample_2x(jnp.asarray(x)), down, atol=1e-5)
  # Constant images stay constant away from the zero-padded border.
  np.testing.assert_allclose(upsample_2x(jnp.ones((1, 6, 6, 1)))[0, 2:-2, 2:-2], 1.0, atol=1e-6)


def _per_sample_modconv(kernel, x, styles, *, demodulate, up):
  """The fused formulation: one kernel per sample, w'[b] = w * s[b] (demodulated), applied with
  lax.conv per sample (up: the full transposed stride-2 convolution, then the reference's filter
  with padding (1, 1))."""
  kh, kw, i, _ = kernel.shape
  outs = []
  for b in range(x.shape[0]):
    w = kernel * styles[b][None, None, :, None]
    if demodulate:
      w = w / jnp.sqrt(jnp.sum(w ** 2, axis=(0, 1, 2), keepdims=True) + 1e-8)
    else:
      w = w / math.sqrt(kh * kw * i)
    if up:
      y = jax.lax.conv_transpose(x[b:b + 1], w, (2, 2), "VALID", dimension_numbers=DN)
      y = _fir_1d(_fir_1d(y, 1, (1, 1)), 2, (1, 1))
    else:
      y = jax.lax.conv_general_dilated(x[b:b + 1], w, (1, 1), "SAME", dimension_numbers=DN)
    outs.append(np.asarray(y))
  return np.concatenate(outs)


@pytest.mark.parametrize("layer_set", ["flax", "cpu"])
@pytest.mark.parametrize("kind", ["3x3", "3x3 up", "1x1 no demodulation"])
def test_modulated_conv_equals_per_sample_kernels(layer_set, kind):
  from ganjax.backends import layer_set as make_layers
  layers = make_layers(layer_set, conv_kernels="xla")
  k, up, demod = {"3x3": (3, False, True), "3x3 up": (3, True, True),
                  "1x1 no demodulation": (1, False, False)}[kind]
  x, styles = _normal(1, (3, 5, 5, 4)), _normal(2, (3, 4)) + 1.0
  module = ModulatedConv(6, k, up=up, demodulate=demod, layers=layers)
  variables = module.init(KEY, x, styles)
  kernel = variables["params"]["conv"]["kernel"]
  assert float(jnp.std(kernel)) == pytest.approx(1.0, abs=0.25)  # stored N(0, 1)
  got = module.apply(variables, x, styles)
  want = _per_sample_modconv(kernel, x, styles, demodulate=demod, up=up)
  assert got.shape == want.shape == (3, 10 if up else 5, 10 if up else 5, 6)
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_equalized_learning_rate_scales_outputs_and_raw_gradients():
  x = _normal(3, (2048, 256))
  for lr_mult in (1.0, 0.01):
    dense = EqualDense(128, lr_multiplier=lr_mult)
    v = dense.init(KEY, x)
    raw = v["params"]["dense"]["kernel"]
    assert float(jnp.std(raw)) == pytest.approx(1.0 / lr_mult, rel=0.05)  # N(0, 1/lr_mult^2)
    assert float(jnp.std(dense.apply(v, x))) == pytest.approx(1.0, rel=0.05)  # unit gain at init
    # d L / d raw = gain * d L / d effective kernel, gain = lr_mult / sqrt(fan_in): Adam then moves
    # the effective kernel at lr * gain, the same relative speed for every layer.
    g = _normal(4, (2048, 128))
    grads = jax.grad(lambda p: jnp.sum(g * dense.apply({"params": p}, x)))(v["params"])
    gain = lr_mult / math.sqrt(256)
    np.testing.assert_allclose(grads["dense"]["kernel"], gain * (x.T @ g), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(grads["bias"], lr_mult * jnp.sum(g, 0), rtol=1e-4, atol=1e-3)

  images = _normal(5, (64, 8, 8, 32))
  conv = EqualConv(16, 3, activation="linear")
  v = conv.init(KEY, images)
  assert float(jnp.std(conv.apply(v, images)[:, 1:-1, 1:-1])) == pytest.approx(1.0, rel=0.05)
  g = _normal(6, (64, 8, 8, 16))
  raw = v["params"]["conv"]["kernel"]
  grads = jax.grad(lambda p: jnp.sum(g * conv.apply({"params": p}, images)))(v["params"])
  effective = lambda w: jnp.sum(g * jax.lax.conv_general_dilated(images, w, (1, 1), "SAME",
                                                                 dimension_numbers=DN))
  want = jax.grad(effective)(raw / math.sqrt(9 * 32)) / math.sqrt(9 * 32)
  np.testing.assert_allclose(grads["conv"]["kernel"], want, rtol=1e-3, atol=1e-3)
  np.testing.assert_allclose(grads["bias"], jnp.sum(g, (0, 1, 2)), rtol=1e-4)  # bias not scaled


# ----------------------------------------------------------------------------- regularizers

class _LinearSynthesis(nn.Module):
  """A generator whose Jacobian is known: ws [B, L, D] = z reshaped, images = A ws (A [L, D, P])."""
  num_ws: int = 3
  w_dim: int = 2
  shape: tuple = (4, 4, 1)

  def setup(self):
    self.a = self.param("a", nn.initializers.normal(1.0), (self.num_ws, self.w_dim,
                                                           int(np.prod(self.shape))))
    self.pl_mean = self.variable(STATS, "pl_mean", lambda: jnp.float32(0.7))

  def mixed_ws(self, z, z2, cutoff, *, train):
    return z.reshape(z.shape[0], self.num_ws, self.w_dim)

  def synthesize(self, ws, noise, *, train):
    return jnp.einsum("bld,ldp->bp", ws, self.a).reshape(ws.shape[0], *self.shape)

  def __call__(self, z, z2, cutoff, noise, *, train):
    return self.synthesize(self.mixed_ws(z, z2, cutoff, train=train), noise, train=train)


def test_path_length_loss_matches_a_hand_computation_on_a_linear_synthesis():
  lin = _LinearSynthesis()
  prior = StyleMixingPrior(latent_dim=6, num_ws=3, noise_dim=1)
  obj = StyleGAN2Objective(nets=Networks({"g": lin}), loss=non_saturating, prior=prior,
                           generator="g", critic="d", generator_player="g", critic_player="d",
                           pl_weight=2.0, pl_every=4, pl_decay=0.01, pl_batch_shrink=2)
  assert [p.name for p in obj.phases] == ["d", "g", "g_pl"] and obj.phases[2].every == 4
  args = (jnp.zeros((1, 6)), jnp.zeros((1, 6)), jnp.zeros((1,), jnp.int32), jnp.zeros((1, 1)))
  variables = lin.init(KEY, *args, train=False)
  params = {"g": variables["params"]}
  state = GANState(step=jnp.int32(0), key=KEY, players={"g": Player(
      params, {"g": {STATS: dict(variables[STATS])}}, ())})
  batch = {"image": jnp.zeros((8, 4, 4, 1))}
  key = jax.random.PRNGKey(7)
  loss, (metrics, cols) = jax.jit(obj.path_length_loss)(params, state, batch, key)

  # By hand: batch 8 / shrink 2 = 4 latents; y ~ N(0, I) / sqrt(H W); J^T y [b, l, d] = A[l, d] . y_b.
  kz, ky = jax.random.split(key)
  ws = np.asarray(prior.sample(kz, 4)["z"], np.float64).reshape(4, 3, 2)
  y = np.asarray(jax.random.normal(ky, (4, 4, 4, 1)), np.float64).reshape(4, -1) / 4.0
  a = np.asarray(params["g"]["a"], np.float64)
  jt_y = np.einsum("ldp,bp->bld", a, y)
  lengths = np.sqrt(np.mean(np.sum(jt_y ** 2, axis=2), axis=1))
  pl_mean = 0.7 + 0.01 * (lengths.mean() - 0.7)
  penalty = np.mean((lengths - pl_mean) ** 2)
  np.testing.assert_allclose(metrics["pl_length"], lengths.mean(), rtol=1e-5)
  np.testing.assert_allclose(metrics["pl_penalty"], penalty, rtol=1e-4)
  np.testing.assert_allclose(loss, 2.0 * 4 * penalty, rtol=1e-4)  # pl_weight * every
  np.testing.assert_allclose(cols["g"][STATS]["pl_mean"], pl_mean, rtol=1e-6)
  assert ws.shape == (4, 3, 2)

  # The gradient through the vector-Jacobian product equals the gradient of the closed form.
  def closed_form(p):
    lengths = jnp.sqrt(jnp.mean(jnp.sum(jnp.einsum("ldp,bp->bld", p["g"]["a"], y) ** 2, 2), 1))
    mean = jax.lax.stop_gradient(0.7 + 0.01 * (jnp.mean(lengths) - 0.7))
    return 8.0 * jnp.mean((lengths - mean) ** 2)
  got = jax.jit(jax.grad(lambda p: obj.path_length_loss(p, state, batch, key)[0]))(params)
  np.testing.assert_allclose(got["g"]["a"], jax.grad(closed_form)(params)["g"]["a"], rtol=1e-4,
                             atol=1e-6)


def test_path_length_pieces_on_a_known_jacobian():
  a = _normal(8, (5, 2, 3))  # images [B, 5] = sum_{l, d} ws[b, l, d] a[:, l, d]
  ws, y = _normal(9, (4, 2, 3)), _normal(10, (4, 5))
  lengths = path_lengths(lambda w: jnp.einsum("pld,bld->bp", a, w), ws, y)
  want = np.sqrt(np.mean(np.sum(np.einsum("pld,bp->bld", a, y) ** 2, 2), 1))
  np.testing.assert_allclose(lengths, want, rtol=1e-5)
  penalty, mean = path_length_penalty(lengths, jnp.float32(2.0), 0.5)
  np.testing.assert_allclose(mean, 2.0 + 0.5 * (want.mean() - 2.0), rtol=1e-6)
  np.testing.assert_allclose(penalty, np.mean((want - float(mean)) ** 2), rtol=1e-5)


def test_r1_of_the_config_is_stylegan2s_lazy_gamma_over_two():
  from ganjax.objectives.adversarial import PenaltyInputs
  from ganjax.objectives.regularizers import build_d_penalty
  cfg = tiny_config()
  assert dict(cfg.regularizers.r1) == {"weight": 0.01, "every": 16}
  d_penalty, _ = build_d_penalty(cfg, "d")
  w = _normal(11, (16, 16, 1))
  critic = lambda x: jnp.sum(x * w, axis=(1, 2, 3))  # grad_x = w for every example
  real = _normal(12, (8, 16, 16, 1))
  # gamma / 2 * E||grad D||^2 * every, as the reference's loss_Dr1 * gain, on steps % 16 == 0.
  on = 0.01 / 2 * float(jnp.sum(w ** 2)) * 16
  for step, want in ((0, on), (1, 0.0), (15, 0.0), (16, on)):
    state = GANState(step=jnp.int32(step), key=KEY, players={})
    value, metrics = d_penalty(PenaltyInputs(critic, real, real, None, None, None, state, KEY))
    np.testing.assert_allclose(value, want, rtol=1e-5)
    assert float(metrics["reg_r1"]) == pytest.approx(float(value))


# ----------------------------------------------------------------------------- configs

def test_configs_switch_augmentation_and_the_family_checks_image_shapes():
  from experiments.configs import stylegan2_emoji32, stylegan2_fashion_mnist32
  from ganjax.errors import ConfigError
  from ganjax.families.stylegan2.family import build, image_size
  emoji, fashion = stylegan2_emoji32.get_config(), stylegan2_fashion_mnist32.get_config()
  assert (emoji.dataset.name, fashion.dataset.name) == ("emoji32", "fashion_mnist32")
  assert emoji.augment.policy and emoji.augment.ada and not fashion.augment.policy
  # Lazy regularization rescales Adam as the reference: lr * r, betas ** r, r = every / (every + 1).
  assert fashion.optimizers.g.learning_rate == pytest.approx(0.0025 * 4 / 5)
  assert fashion.optimizers.d.b2 == pytest.approx(0.99 ** (16 / 17))
  # The objective gets config.augment (ADA: its probability is a technique in state.extras).
  from ganjax.families import BuildContext
  from ganjax.data.sources import dataset_spec
  spec = dataset_spec("digits")
  cfg = tiny_config()
  cfg.augment = emoji.augment
  objective = build(cfg, BuildContext(spec)).objective
  assert objective.augment is not None and [t.name for t in objective.techniques] == ["ada"]
  cfg.augment.policy = ""
  assert build(cfg, BuildContext(spec)).objective.augment is None
  assert image_size((32, 32, 3)) == 32
  for bad in ((28, 28, 1), (16, 32, 1), (4, 4, 1), (2,)):
    with pytest.raises(ConfigError, match="power of two"):
      image_size(bad)
  cfg.path_length = {"weight": 2.0, "evry": 4}
  with pytest.raises(ConfigError, match=r"unknown field\(s\) \['evry'\]"):
    build(cfg, BuildContext(spec))


# ----------------------------------------------------------------------------- generator

@pytest.fixture(scope="module")
def generator():
  """(apply, variables) of a tiny 16x16 generator; apply = jitted G.apply (train, method,
  truncation and mutable static)."""
  g = StyleGAN2Generator((16, 16, 1), z_dim=8, w_dim=8, channel_base=128, channel_max=16)
  n = noise_dim(16)
  args = (jnp.zeros((1, 8)), jnp.zeros((1, 8)), jnp.zeros((1,), jnp.int32), jnp.zeros((1, n)))
  variables = jax.jit(lambda k: g.init(k, *args, train=False))(KEY)
  # A w_avg away from 0, as training leaves it, so that truncation has something to pull toward.
  variables = {**variables, STATS: {**variables[STATS], "w_avg": _normal(13, (8,))}}
  apply = jax.jit(g.apply, static_argnames=("train", "method", "truncation", "mutable"))
  return apply, variables


def test_style_mixing_takes_the_first_cutoff_ws_from_z_and_the_rest_from_z2(generator):
  g, v = generator  # g: the jitted apply
  z, z2 = _normal(14, (4, 8)), _normal(15, (4, 8))
  cutoff = jnp.array([1, 3, 5, 6], jnp.int32)  # 6 = num_ws: no mixing
  assert num_ws(16) == 6
  mixed, _ = g(v, z, z2, cutoff, train=True, method="mixed_ws", mutable=(STATS,))
  w1 = g(v, z, train=False, method="map")
  w2 = g(v, z2, train=False, method="map")
  assert w1.shape == (4, 6, 8) and not np.allclose(w1, w2)
  for b, k in enumerate(cutoff.tolist()):
    np.testing.assert_array_equal(mixed[b, :k], w1[b, :k])
    np.testing.assert_array_equal(mixed[b, k:], w2[b, k:])
  # Eval mode never mixes: samples are G(z).
  np.testing.assert_array_equal(g(v, z, z2, cutoff, train=False, method="mixed_ws"), w1)


def test_prior_mixes_with_probability_point_nine_at_a_uniform_crossover():
  prior = StyleMixingPrior(latent_dim=4, num_ws=8, noise_dim=10)
  codes = jax.jit(prior.sample, static_argnums=1)(KEY, 20000)
  assert codes["noise"].shape == (20000, 10) and codes["z2"].shape == (20000, 4)
  cut = np.asarray(codes["cutoff"])
  assert cut.min() == 1 and cut.max() == 8
  assert np.mean(cut == 8) == pytest.approx(0.1, abs=0.01)  # no mixing
  counts = np.bincount(cut[cut < 8], minlength=8)[1:]
  np.testing.assert_allclose(counts / counts.sum(), 1 / 7, atol=0.01)  # crossover uniform in [1, 8)


def test_w_avg_follows_the_mapped_batch_mean_in_train_mode(generator):
  g, v = generator  # g: the jitted apply
  z = _normal(16, (32, 8))
  _, cols = g(v, z, z, jnp.full((32,), 6, jnp.int32), _normal(17, (32, noise_dim(16))),
                    train=True, mutable=(STATS,))
  mean = np.mean(np.asarray(g(v, z, train=False, method="map"))[:, 0], axis=0)
  old = np.asarray(v[STATS]["w_avg"])
  np.testing.assert_allclose(cols[STATS]["w_avg"], mean + 0.995 * (old - mean), rtol=1e-5,
                             atol=1e-6)


def test_truncation_one_keeps_samples_and_zero_gives_w_avg_for_every_z(generator):
  g, v = generator  # g: the jitted apply
  n = 5
  z, z2 = _normal(18, (n, 8)), _normal(19, (n, 8))
  noise = jnp.broadcast_to(_normal(20, (1, noise_dim(16))), (n, noise_dim(16)))  # fixed noise
  cutoff = jnp.full((n,), 6, jnp.int32)
  plain = g(v, z, z2, cutoff, noise, train=False)
  np.testing.assert_array_equal(g(v, z, z2, cutoff, noise, train=False, truncation=1.0), plain)
  zero = g(v, z, z2, cutoff, noise, train=False, truncation=0.0)
  assert float(jnp.std(plain, axis=0).mean()) > 1e-3  # different z: different images
  np.testing.assert_allclose(zero, jnp.broadcast_to(zero[:1], zero.shape), atol=1e-6)
  w_avg = jnp.broadcast_to(v[STATS]["w_avg"], (1, 6, 8))
  np.testing.assert_allclose(zero[:1], g(v, w_avg, noise[:1], train=False,
                                               method="synthesize"), atol=1e-6)
  half = g(v, z, train=False, truncation=0.5, method="map")
  full = g(v, z, train=False, method="map")
  np.testing.assert_allclose(half, v[STATS]["w_avg"] + 0.5 * (full - v[STATS]["w_avg"]), atol=1e-6)


# ----------------------------------------------------------------------------- training

STEPS = 200


def _digits_fid(exp, state, reference) -> float:
  """FID of 1000 EMA samples against the digits train split in the Fashion-MNIST CNN's features
  (the 16x16 digits zero-padded to its 28x28 input; the background is 0 either way)."""
  from ganjax.metrics.fid import fid
  from ganjax.metrics.summary import batches_of, summarize
  from ganjax.inference.sampling import draw_samples
  net, real = reference
  pad = lambda x: np.pad(x, ((0, 0), (6, 6), (6, 6), (0, 0)))
  fake = summarize(net, batches_of(pad(draw_samples(exp, state, 1000, seed=1))))
  return fid(summarize(net, batches_of(pad(real))), fake)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
  """STEPS steps of the tiny config with a metrics line per step, and the FID of its samples at
  initialisation and at the end: {"state", "lines", "fid_init", "fid_trained"}."""
  from ganjax.metrics.data import load_split
  from ganjax.metrics.features import build_feature_net
  cfg = tiny_config()
  cfg.num_train_steps = cfg.checkpoint_every = STEPS
  workdir = str(tmp_path_factory.mktemp("stylegan2"))
  state = jax.device_get(train_and_evaluate(cfg, workdir))
  with open(os.path.join(workdir, "metrics.jsonl")) as f:
    lines = [m for m in map(json.loads, f) if "g_pl_grad_norm" in m]
  exp = build_experiment(cfg)
  reference = (build_feature_net("fashion_mnist_cnn"), load_split(cfg.dataset, "train")[0])
  return {"state": state, "lines": lines, "fid_init": _digits_fid(exp, exp.init_state(), reference),
          "fid_trained": _digits_fid(exp, state, reference)}


@pytest.mark.slow
def test_lazy_r1_and_path_length_run_exactly_on_their_steps(tiny_run):
  lines = tiny_run["lines"]
  assert [m["step"] for m in lines] == list(range(1, STEPS + 1))
  for m in lines:
    t = m["step"] - 1  # the step counter while the phases ran
    assert (m["reg_r1"] != 0) == (t % 16 == 0), m
    for name in ("pl_penalty", "pl_length", "g_pl_loss", "g_pl_grad_norm"):
      assert (m[name] != 0) == (t % 4 == 0), (name, m)
    assert m["d_grad_norm"] > 0 and m["g_grad_norm"] > 0
  # pl_mean in G's collection: the running mean of the path lengths of those steps, from 0.
  a = 0.0
  for m in lines:
    if (m["step"] - 1) % 4 == 0:
      a += 0.01 * (m["pl_length"] - a)
  cols = tiny_run["state"].players["g"].collections["g"][STATS]
  np.testing.assert_allclose(cols["pl_mean"], a, rtol=1e-4)
  assert float(jnp.abs(cols["w_avg"]).sum()) > 0


@pytest.mark.slow
def test_a_short_run_on_the_digits_improves_fid_well_beyond_its_start(tiny_run):
  # Measured: 63.3 at initialisation, 18.3 after 200 steps (real digits: the train split).
  print(f"digits FID: init {tiny_run['fid_init']:.1f}, after {STEPS} steps "
        f"{tiny_run['fid_trained']:.1f}")
  assert tiny_run["fid_trained"] < 0.5 * tiny_run["fid_init"]


@pytest.mark.slow
def test_training_state_resumes_bit_for_bit(tmp_path):
  # 8 steps, resumed at 4: the path-length step 4 reads the checkpointed pl_mean and w_avg.
  straight, resumed = straight_and_resumed(tiny_config(), tmp_path, steps=8)
  jax.tree.map(np.testing.assert_array_equal, straight, resumed)
  assert float(straight.players["g"].collections["g"][STATS]["pl_mean"]) > 0


# 1 and 8 devices, as shipped (minibatch stddev on): tests/test_devices_as_shipped.py, which
# replaces the 8-device test that turned the stddev layer off.

