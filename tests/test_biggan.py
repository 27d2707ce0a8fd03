"""BigGAN-lite (ganjax/families/biggan) and its pieces: self-attention (ganjax/nn/attention.py)
against a direct computation, its softmax rows and permutation equivariance; orthogonal
regularization against a hand computation; the vector-conditioned BatchNorm against BatchNorm
statistics by hand; truncation; the recipe; the family trains without NaN, resumes bit for bit,
runs on 8 fake devices, and a short run on fashion_mnist32 draws the requested classes (read by the
shipped classifier) and scores a domain-net FID far below a mean-image and a noise generator's."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import assert_every_parameter_trained, straight_and_resumed
from test_sngan import init, short_fashion_run
from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError
from ganjax.families import BuildContext, build_family
from ganjax.nn.attention import SelfAttention, attend
from ganjax.nn.conditional import VectorConditionalBatchNorm
from ganjax.objectives.weight_penalties import orthogonal_penalty
from ganjax.train.experiment import build_experiment


def tiny_config(**model):
  """biggan_fashion_mnist32's recipe on the 16x16 digits: tiny widths, attention at 8x8, batch 8."""
  from experiments.configs import biggan_fashion_mnist32
  c = biggan_fashion_mnist32.get_config()
  c.dataset.name = "digits"
  c.model.update({**dict(latent_dim=16, embed_dim=8, g_features=16, d_features=16,
                         attention_resolution=8), **model})
  c.batch_size, c.log_every, c.sample_every = 8, 2, 0
  return c


def _softmax(x):
  e = np.exp(x - x.max(-1, keepdims=True))
  return e / e.sum(-1, keepdims=True)


# ------------------------------------------------------------------------- self-attention

def _attention_by_hand(p, x, pool):
  """SAGAN's block in float64 numpy from the module's parameters."""
  x = np.asarray(x, np.float64)
  b, h, w, c = x.shape
  proj = lambda t, name: t @ np.asarray(p[name]["kernel"], np.float64)[0, 0]
  theta, phi, g = proj(x, "theta"), proj(x, "phi"), proj(x, "g")
  if pool:
    cells = lambda t: t.reshape(b, h // 2, 2, w // 2, 2, t.shape[-1]).max((2, 4))
    phi, g = cells(phi), cells(g)
  flat = lambda t: t.reshape(b, -1, t.shape[-1])
  weights = _softmax(flat(theta) @ flat(phi).transpose(0, 2, 1))
  o = proj((weights @ flat(g)).reshape(b, h, w, -1), "out")
  return x + float(p["gamma"]) * o


@pytest.mark.parametrize("pool", [True, False])
def test_self_attention_equals_direct_computation_and_starts_as_identity(pool):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 4, 4, 16))
  block = SelfAttention(pool=pool)
  params = init(block, x)["params"]
  assert float(params["gamma"]) == 0.0
  apply = jax.jit(lambda p, x: block.apply({"params": p}, x, train=False))
  np.testing.assert_array_equal(np.asarray(apply(params, x)), np.asarray(x))  # gamma = 0: identity
  assert params["theta"]["kernel"].shape == (1, 1, 16, 2) and params["g"]["kernel"].shape == (1, 1, 16, 8)
  params = {**params, "gamma": jnp.float32(0.7)}
  out = np.asarray(apply(params, x))
  np.testing.assert_allclose(out, _attention_by_hand(params, x, pool), rtol=1e-4, atol=1e-4)
  assert np.abs(out - np.asarray(x)).max() > 1e-2  # the attention term is not negligible


def test_attention_weights_are_a_softmax_over_key_positions():
  rng = np.random.default_rng(0)
  q, k, v = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 7, 3)), rng.normal(size=(2, 7, 4))
  out, weights = jax.jit(attend)(*(jnp.asarray(a, jnp.float32) for a in (q, k, v)))
  np.testing.assert_allclose(np.asarray(weights).sum(-1), np.ones((2, 5)), rtol=1e-6)
  expected = _softmax(q @ k.transpose(0, 2, 1))
  np.testing.assert_allclose(np.asarray(weights), expected, rtol=1e-5, atol=1e-6)
  np.testing.assert_allclose(np.asarray(out), expected @ v, rtol=1e-5, atol=1e-5)


def test_self_attention_without_pooling_is_permutation_equivariant():
  """Every position attends to every position with position-independent projections: permuting
  the input's pixels permutes the output's the same way (with pooling the 2x2 cells would mix)."""
  x = jax.random.normal(jax.random.PRNGKey(3), (2, 4, 4, 8))
  block = SelfAttention(pool=False)
  params = {**init(block, x)["params"], "gamma": jnp.float32(1.0)}
  apply = jax.jit(lambda x: block.apply({"params": params}, x, train=False))
  perm = np.random.default_rng(1).permutation(16)
  shuffle = lambda t: np.asarray(t).reshape(2, 16, 8)[:, perm].reshape(2, 4, 4, 8)
  np.testing.assert_allclose(np.asarray(apply(jnp.asarray(shuffle(x)))), shuffle(apply(x)),
                             rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------- orthogonal regularization

def _off_diagonal_by_hand(w):
  w = np.asarray(w, np.float64).reshape(-1, w.shape[-1])
  out = w.shape[1]
  return sum(float(w[:, i] @ w[:, j]) ** 2 for i in range(out) for j in range(out) if i != j)


def test_orthogonal_penalty_equals_hand_computation():
  rng = np.random.default_rng(0)
  f32 = lambda *s: jnp.asarray(rng.normal(size=s), jnp.float32)
  params = {"conv": {"kernel": f32(3, 3, 2, 4), "bias": f32(4)},
            "block": {"dense": {"kernel": f32(5, 3)}, "norm": {"scale": f32(3), "bias": f32(3)}},
            "shared": {"embedding": f32(10, 4)}, "gamma": jnp.float32(0.5)}
  expected = 1e-4 * (_off_diagonal_by_hand(params["conv"]["kernel"])
                     + _off_diagonal_by_hand(params["block"]["dense"]["kernel"]))
  np.testing.assert_allclose(float(orthogonal_penalty(params, 1e-4)), expected, rtol=1e-5)
  # The gradient of beta * ||W^T W (.) (1 - I)||^2 is 4 beta W (W^T W (.) (1 - I)).
  w = np.asarray(params["block"]["dense"]["kernel"], np.float64)
  gram = w.T @ w
  grad = jax.grad(orthogonal_penalty)(params, 1e-4)
  np.testing.assert_allclose(np.asarray(grad["block"]["dense"]["kernel"]),
                             4e-4 * w @ (gram * (1 - np.eye(3))), rtol=1e-4)
  assert not np.any(np.asarray(grad["shared"]["embedding"]))  # embeddings are left out


def test_orthogonal_penalty_is_zero_for_orthogonal_filters_of_any_norm():
  q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(18, 4)))  # orthonormal columns
  kernel = (q * np.array([1.0, 0.5, 2.0, 3.0])).reshape(3, 3, 2, 4)  # orthogonal, unequal norms
  assert float(orthogonal_penalty({"k": jnp.asarray(kernel, jnp.float32)}, 1.0)) < 1e-9
  mixed = kernel.reshape(18, 4) @ np.array([[1, 0.3, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
  assert float(orthogonal_penalty({"k": jnp.asarray(mixed, jnp.float32)}, 1.0)) > 0.1


# ------------------------------------------------------------------------- conditional BatchNorm

def test_vector_conditional_batch_norm_applies_linear_gain_and_bias_to_batch_statistics():
  x = jax.random.normal(jax.random.PRNGKey(0), (6, 2, 2, 3)) * 2 + 1
  cond = jax.random.normal(jax.random.PRNGKey(1), (6, 5))
  bn = VectorConditionalBatchNorm(momentum=0.9, epsilon=1e-3)
  v = init(bn, x, cond)
  rng = np.random.default_rng(2)
  params = jax.tree.map(lambda a: jnp.asarray(rng.normal(size=a.shape), jnp.float32), v["params"])
  train = jax.jit(lambda v: bn.apply(v, x, cond, train=True, mutable=["batch_stats"]))
  out, new = train({**v, "params": params})
  xn, c = np.asarray(x, np.float64), np.asarray(cond, np.float64)
  mu, var = xn.mean((0, 1, 2)), xn.var((0, 1, 2))
  p = jax.tree.map(lambda a: np.asarray(a, np.float64), params)
  scale, shift = p["BatchNorm_0"]["scale"], p["BatchNorm_0"]["bias"]
  gain, bias = 1 + c @ p["gain"]["kernel"], c @ p["bias"]["kernel"]  # [6, 3] per example
  bn_x = (xn - mu) / np.sqrt(var + 1e-3) * scale + shift
  np.testing.assert_allclose(np.asarray(out), bn_x * gain[:, None, None] + bias[:, None, None],
                             rtol=1e-4, atol=1e-4)
  # Eval mode: the running statistics (one step of momentum 0.9 from mean 0, variance 1).
  ra_mean, ra_var = 0.1 * mu, 0.9 + 0.1 * var
  np.testing.assert_allclose(np.asarray(new["batch_stats"]["BatchNorm_0"]["mean"]), ra_mean, rtol=1e-5)
  evaluated = jax.jit(lambda v: bn.apply(v, x, cond, train=False))(
      {**v, "params": params, **new})
  bn_eval = (xn - ra_mean) / np.sqrt(ra_var + 1e-3) * scale + shift
  np.testing.assert_allclose(np.asarray(evaluated), bn_eval * gain[:, None, None] + bias[:, None, None],
                             rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------- family

def test_truncation_scales_the_latent_towards_the_class_mean_image():
  exp = build_experiment(tiny_config())
  state = exp.init_state()
  gen = jax.jit(lambda z, y, psi: exp.objective.generate(state, {"z": z, "label": y}, truncation=psi))
  plain = jax.jit(lambda z, y: exp.objective.generate(state, {"z": z, "label": y}))
  z = jax.random.normal(jax.random.PRNGKey(0), (10, 16))
  y = jnp.arange(10, dtype=jnp.int32)
  untruncated = np.asarray(plain(z, y))
  np.testing.assert_array_equal(np.asarray(gen(z, y, 1.0)), untruncated)
  np.testing.assert_allclose(np.asarray(gen(z, y, 0.5)), np.asarray(plain(0.5 * z, y)), atol=1e-6)
  mean_images = np.asarray(gen(z, y, 0.0))
  np.testing.assert_allclose(mean_images, np.asarray(plain(jnp.zeros_like(z), y)), atol=1e-6)
  # psi = 0: one image per class whatever the latent; the classes' images differ.
  np.testing.assert_allclose(np.asarray(gen(z[::-1], y, 0.0)), mean_images, atol=1e-6)
  assert np.abs(mean_images[0] - mean_images[1]).max() > 1e-3
  assert np.abs(untruncated - mean_images).max() > 1e-3


def test_recipe_networks_and_penalty():
  from experiments.configs import biggan_fashion_mnist32
  c = biggan_fashion_mnist32.get_config()
  assert (c.model.name, c.dataset.name, c.loss, c.d_steps) == ("biggan", "fashion_mnist32", "hinge", 2)
  assert c.model.attention_resolution == 16 and c.model.spectral_norm and c.g_ortho_beta == 1e-4
  for side in ("g", "d"):
    assert dict(c.optimizers[side]) == dict(name="adam", learning_rate=5e-4, b1=0.0, b2=0.999)
  exp = build_experiment(tiny_config())
  assert [(p.name, p.repeat) for p in exp.objective.phases] == [("d", 2), ("g", 1)]
  assert exp.family.fields == ("image", "label") and exp.family.ema == ("g",)
  state = exp.init_state()
  g, d = state.players["g"], state.players["d"]
  assert "attention" in g.params["g"] and "attention" in d.params["d"]
  assert "projection" in d.params["d"] and g.params["g"]["shared"]["embedding"].shape == (10, 8)
  # Spectral norm in both players, on the conditional BatchNorms' projections too.
  assert "spectral_stats" in g.collections["g"] and "spectral_stats" in d.collections["d"]
  assert "SpectralNorm_0" in g.collections["g"]["spectral_stats"]["block_0"]["norm_0"]
  penalty, metrics = exp.objective.g_penalty(g.params)
  np.testing.assert_allclose(float(penalty), float(orthogonal_penalty(g.params, 1e-4)), rtol=1e-6)
  assert float(penalty) > 0 and set(metrics) == {"g_ortho"}
  c = tiny_config()
  c.g_ortho_beta = 0.0
  assert build_experiment(c).objective.g_penalty is None


def _networks(shape=(16, 16, 1), num_classes=10, config=None):
  spec = dataclasses.replace(dataset_spec("digits"), shape=shape, num_classes=num_classes)
  return build_family(config or tiny_config(), BuildContext(spec=spec)).networks


def test_configs_it_cannot_build_name_the_fix():
  with pytest.raises(ConfigError, match="latent_dim must be divisible by 4"):
    _networks(config=tiny_config(latent_dim=18))
  with pytest.raises(ConfigError, match=r"attention_resolution must be 0 \(none\) or .*\[4, 8\]"):
    _networks(config=tiny_config(attention_resolution=16))
  with pytest.raises(ConfigError, match="conditions on classes"):
    _networks(num_classes=0)
  with pytest.raises(ConfigError, match="divisible by 8"):
    _networks(shape=(28, 28, 1))
  c = tiny_config()
  c.g_ortho_beta = -1.0
  with pytest.raises(ConfigError, match="g_ortho_beta"):
    _networks(config=c)


def test_biggan_trains_without_nan_and_resumes_bit_for_bit(tmp_path):
  import json
  cfg = tiny_config()
  straight, resumed = straight_and_resumed(cfg, tmp_path)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)
  assert_every_parameter_trained(cfg, straight)
  # G's loss carries the orthogonal penalty on top of the adversarial term.
  rows = [json.loads(line) for line in open(tmp_path / "straight" / "metrics.jsonl")]
  row = next(r for r in rows if "g_ortho" in r)
  assert row["g_ortho"] > 0
  np.testing.assert_allclose(row["g_loss"] - row["g_adv_loss"], row["g_ortho"], rtol=1e-4, atol=1e-7)


@pytest.mark.slow
def test_short_biggan_run_draws_the_requested_classes_and_beats_broken_generators(tmp_path):
  """100 EMA samples per requested class of a 250-step run on fashion_mnist32, read by the shipped
  classifier (tests/domain_judge.py): >= 8 classes covered, FID below half a mean-image and a noise
  generator's (which fail these bars), and conditional accuracy well above what the same
  predictions score against deranged labels (a generator blind to its label)."""
  from domain_judge import baselines, conditional_accuracies, judge, learned
  from ganjax.metrics.conditional import sample_per_class
  exp, state = short_fashion_run(tiny_config(g_features=32, d_features=32), str(tmp_path), steps=250)
  images, requested = sample_per_class(exp, state, 100)
  scores = judge(images, "fashion_mnist32")
  broken = baselines("fashion_mnist32", len(images))
  accuracy, blind = conditional_accuracies(scores["predicted"], requested)
  print(f"biggan fashion_mnist32, 250 steps: FID {scores['fid']:.1f}, classes {scores['counts']}, "
        f"conditional accuracy {accuracy:.3f} (label-blind {blind:.3f}); "
        f"broken: { {k: (round(b['fid'], 1), b['coverage']) for k, b in broken.items()} }")
  for name, b in broken.items():
    assert learned(b, broken), (name, b["fid"], b["counts"])
  assert not learned(scores, broken), learned(scores, broken)
  # Measured: FID 58.6, all 10 classes covered (the fewest: 36 of 1000), conditional accuracy
  # 0.245 against 0.106 label-blind. Conditioning is the slowest thing BigGAN learns (its 3000-step
  # run at the recipe's rate: 14.7% at step 250, 43% at 500, 90% at 3000; BENCHMARKS.md).
  assert blind < 0.15 and accuracy > 0.18 and accuracy > blind + 0.07, (accuracy, blind)
