"""Conditional and latent-code families (cGAN, ACGAN, projection, InfoGAN): each loss term equals
a hand computation, conditional BatchNorm is BatchNorm plus per-class gain and bias, the families
resume bit for bit and run on 8 fake devices, and short runs learn what they are for."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import eight_device_gaps, straight_and_resumed
from ganjax.core.outputs import DOutput
from ganjax.errors import ConfigError
from ganjax.nn.conditional import ConditionalBatchNorm, label_planes
from ganjax.nn.heads import ProjectionHead
from ganjax.objectives.aux_terms import ClassifierTerm, InfoTerm
from ganjax.objectives.priors import GaussianPrior, InfoGANPrior
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate

FAMILIES = ("cgan", "acgan", "projection", "infogan")


def _log_softmax(x):
  x = np.asarray(x, np.float64)
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


def tiny_config(name: str, dataset: str = "digits"):
  """A small config of a shipped family on `dataset` (digits: 16x16x1, 10 classes)."""
  import importlib
  c = importlib.import_module(f"experiments.configs.{name}_fashion_mnist").get_config()
  c.dataset.name = dataset
  c.model.update(dict(g_base_features=16, g_mid_features=8, d_features=(8, 16)))
  if name == "infogan":
    c.model.update(dict(noise_dim=8, q_hidden=16))
  else:
    c.model.latent_dim = 8
  c.batch_size, c.log_every, c.sample_every = 8, 2, 0
  return c


def test_acgan_class_term_equals_hand_computation():
  rng = np.random.default_rng(0)
  real_logits, fake_logits = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
  y_real, y_fake = np.array([0, 1, 2, 3, 1, 2]), np.array([3, 3, 0, 1, 2, 0])
  real = DOutput(logits=jnp.zeros(6), class_logits=jnp.asarray(real_logits, jnp.float32))
  fake = DOutput(logits=jnp.zeros(6), class_logits=jnp.asarray(fake_logits, jnp.float32))
  codes = {"label": jnp.asarray(y_fake)}
  ce = lambda logits, y: -np.mean(_log_softmax(logits)[np.arange(6), y])
  d, dm = ClassifierTerm(weight=0.5).d(real, fake, jnp.asarray(y_real), codes)
  np.testing.assert_allclose(float(d), 0.5 * (ce(real_logits, y_real) + ce(fake_logits, y_fake)),
                             rtol=1e-6)
  np.testing.assert_allclose(float(dm["d_class_accuracy"]),
                             np.mean(real_logits.argmax(-1) == y_real))
  g, _ = ClassifierTerm(weight=0.5).g(fake, codes)
  np.testing.assert_allclose(float(g), 0.5 * ce(fake_logits, y_fake), rtol=1e-6)


def test_infogan_mutual_information_bounds_equal_hand_computation():
  rng = np.random.default_rng(1)
  cat_logits, mean, log_std = rng.normal(size=(5, 10)), rng.normal(size=(5, 2)), rng.normal(size=(5, 2)) * 0.3
  c_cat, c_cont = np.array([1, 4, 9, 0, 4]), rng.uniform(-1, 1, size=(5, 2))
  q = {"categorical": jnp.asarray(cat_logits, jnp.float32), "mean": jnp.asarray(mean, jnp.float32),
       "log_std": jnp.asarray(log_std, jnp.float32)}
  codes = {"categorical": jnp.asarray(c_cat), "continuous": jnp.asarray(c_cont, jnp.float32)}
  lq_cat = np.mean(_log_softmax(cat_logits)[np.arange(5), c_cat])
  std = np.exp(log_std)
  lq_cont = np.mean(np.sum(-0.5 * ((c_cont - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi), -1))
  fake = DOutput(logits=jnp.zeros(5), q=q)
  loss, metrics = InfoTerm(1.0, 0.1).g(fake, codes)
  np.testing.assert_allclose(float(loss), -(lq_cat + 0.1 * lq_cont), rtol=1e-5)
  np.testing.assert_allclose(float(metrics["g_mi_categorical"]), np.log(10) + lq_cat, rtol=1e-5)
  np.testing.assert_allclose(float(metrics["g_mi_continuous"]), 2 * np.log(2) + lq_cont, rtol=1e-5)
  d_loss, _ = InfoTerm(1.0, 0.1).d(fake, fake, None, codes)  # Q is D's head: the same term in D
  np.testing.assert_allclose(float(d_loss), float(loss), rtol=1e-6)
  # A perfect categorical posterior reaches the bound's ceiling H(c) = log 10.
  sure = {**q, "categorical": jnp.asarray(np.eye(10)[c_cat] * 1e4, jnp.float32)}
  _, m = InfoTerm().g(DOutput(logits=jnp.zeros(5), q=sure), codes)
  np.testing.assert_allclose(float(m["g_mi_categorical"]), np.log(10), rtol=1e-6)


def test_projection_term_equals_hand_computation():
  head = ProjectionHead(num_classes=3)
  features = jax.random.normal(jax.random.PRNGKey(0), (4, 5))
  labels = jnp.array([2, 0, 1, 2])
  params = head.init(jax.random.PRNGKey(1), features, labels, train=False)
  v = np.asarray(params["params"]["embed"]["embedding"], np.float64)
  out = head.apply(params, features, labels, train=False)
  np.testing.assert_allclose(np.asarray(out), np.sum(v[np.asarray(labels)] * np.asarray(features), -1),
                             rtol=1e-5, atol=1e-6)


def test_projection_discriminator_adds_the_projection_to_its_logits():
  exp = build_experiment(tiny_config("projection"))
  state = exp.init_state()
  x = jax.random.uniform(jax.random.PRNGKey(2), (4, 16, 16, 1), minval=-1, maxval=1)
  out = exp.objective.critic_eval(state, x, jnp.array([0, 1, 2, 3]))
  other = exp.objective.critic_eval(state, x, jnp.array([5, 1, 2, 3]))
  # Only the projection term depends on the label.
  np.testing.assert_allclose(np.asarray(out.logits - out.projection),
                             np.asarray(other.logits - other.projection), rtol=1e-5, atol=1e-6)
  assert abs(float(out.projection[0] - other.projection[0])) > 0


def test_conditional_batch_norm_is_batch_norm_with_class_gain_and_bias():
  x = jax.random.normal(jax.random.PRNGKey(0), (6, 2, 2, 3)) * 2 + 1
  labels = jnp.array([0, 1, 2, 0, 1, 2])
  cbn = ConditionalBatchNorm(num_classes=3)
  v = cbn.init(jax.random.PRNGKey(1), x, labels, train=True)
  gamma = jax.random.normal(jax.random.PRNGKey(2), (3, 3))
  beta = jax.random.normal(jax.random.PRNGKey(3), (3, 3))
  params = {**v["params"], "gamma": {"embedding": gamma}, "beta": {"embedding": beta}}
  out, _ = cbn.apply({**v, "params": params}, x, labels, train=True, mutable=["batch_stats"])
  xn = np.asarray(x, np.float64)
  mu, var = xn.mean((0, 1, 2)), xn.var((0, 1, 2))
  bn = (xn - mu) / np.sqrt(var + 1e-3)
  g, b = np.asarray(gamma)[np.asarray(labels)], np.asarray(beta)[np.asarray(labels)]
  np.testing.assert_allclose(np.asarray(out), bn * (1 + g[:, None, None]) + b[:, None, None],
                             rtol=1e-4, atol=1e-4)


def test_label_planes_and_priors():
  x = jnp.zeros((2, 3, 3, 1))
  planes = label_planes(x, jnp.array([1, 3]), 4)
  assert planes.shape == (2, 3, 3, 5)
  np.testing.assert_array_equal(np.asarray(planes[:, 1, 2, 1:]), np.eye(4)[[1, 3]])
  codes = GaussianPrior(4, 10).sample(jax.random.PRNGKey(0), 1000)
  assert codes["z"].shape == (1000, 4) and set(np.unique(codes["label"])) == set(range(10))
  info = InfoGANPrior(6, 10, 2)
  codes = info.sample(jax.random.PRNGKey(1), 2000)
  cont = np.asarray(codes["continuous"])
  assert cont.min() >= -1 and cont.max() < 1 and abs(cont.mean()) < 0.05  # U(-1, 1)
  assert np.bincount(np.asarray(codes["categorical"]), minlength=10).min() > 150  # uniform over 10
  (z,) = info.generator_args(codes)
  assert z.shape == (2000, 18)
  np.testing.assert_array_equal(np.asarray(z[:, 6:16]).argmax(-1), np.asarray(codes["categorical"]))
  with pytest.raises(ConfigError, match=r"\[0, 10\)"):
    info.fix(codes, {"categorical": 10})
  with pytest.raises(ConfigError, match="no code 'label'"):
    info.fix(codes, {"label": 1})


@pytest.mark.parametrize("name", FAMILIES)
def test_conditional_family_resumes_bit_for_bit(name, tmp_path):
  cfg = tiny_config(name)
  straight, resumed = straight_and_resumed(cfg, tmp_path)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)


_EIGHT_SETUP = """
from test_conditional import FAMILIES, tiny_config
def no_dropout(name):
  # D without dropout: pmap mode draws dropout masks per device, not bit-equal to jit's.
  c = tiny_config(name)
  c.model.dropout_rate = 0.0
  return c
MAKERS = [(name, lambda name=name: no_dropout(name)) for name in FAMILIES]
"""


@pytest.mark.slow
def test_conditional_families_on_eight_devices_match_one():
  out = eight_device_gaps(_EIGHT_SETUP, steps=2)
  # Labels and codes are drawn for the global batch (ganjax/core/keys.py), so 8 devices see the
  # same classes as one; only float rounding of the split sums differs.
  for family in FAMILIES:
    assert out[family]["pmap8"] < 1e-4, out


def _fashion_config(name: str, steps: int):
  """A shipped Fashion-MNIST config at reduced width for a short CPU run."""
  import importlib
  c = importlib.import_module(f"experiments.configs.{name}_fashion_mnist").get_config()
  c.model.update(dict(g_base_features=64, g_mid_features=32, d_features=(32, 64)))
  c.num_train_steps, c.checkpoint_every, c.log_every, c.sample_every = steps, steps, 100, 0
  return c


# (family, steps, bar): each a short run of the shipped config at reduced width. Measured
# conditional accuracy (chance 0.1; two runs, 2026-12-06/07): acgan 0.940, cgan 0.654 / 0.700,
# projection 0.460 / 0.468; the same predictions against deranged labels (a label-blind
# generator) 0.08-0.12. Their 2000-step runs:
# 97%, 83%, 91% (BENCHMARKS.md, issue 17).
CONDITIONAL_RUNS = [("acgan", 400, 0.5), ("cgan", 400, 0.45), ("projection", 400, 0.3)]


@pytest.mark.slow
@pytest.mark.parametrize("name, steps, bar", CONDITIONAL_RUNS, ids=[r[0] for r in CONDITIONAL_RUNS])
def test_conditional_samples_are_classified_as_the_requested_class(name, steps, bar, tmp_path):
  """50 EMA samples per requested class, read by the shipped classifier: their conditional
  accuracy clears `bar`, and the same predictions scored against a derangement of the requested
  labels (what a generator that ignores its label gets) stay at chance, below the bar."""
  from domain_judge import conditional_accuracies, net
  from ganjax.metrics.conditional import sample_per_class

  cfg = _fashion_config(name, steps)
  state = train_and_evaluate(cfg, str(tmp_path))
  images, requested = sample_per_class(build_experiment(cfg), state, 50)
  _, logits = net()(images)
  accuracy, blind = conditional_accuracies(np.argmax(logits, -1), requested)
  print(f"{name} {steps} steps: conditional accuracy {accuracy:.3f}, label-blind {blind:.3f}")
  assert blind < 0.2 < bar, blind
  assert accuracy > bar, (accuracy, blind)


@pytest.mark.slow
def test_infogan_categorical_code_clusters_the_classes_nearly_as_well_as_kmeans(tmp_path):
  """The Q head's categorical code on 1000 test images, matched one-to-one to the classes, against
  k-means on the same images' pixels (ganjax/metrics/conditional.py kmeans_baseline, computed
  here) and a random code. The README's claim, above k-means, holds at 8000 steps (51-57% vs
  49%, BENCHMARKS.md "InfoGAN"), 13x this test's budget: at 600 steps the code reaches 0.65-0.76
  of k-means (seeds and guests differ), so the test asks for 0.6 of it and 0.05 above the
  untrained Q head, where a random code (~0.13) or the untrained head (~0.29) falls short."""
  from ganjax.metrics.conditional import infogan_code_predictions, kmeans_baseline, matched_accuracy
  from ganjax.metrics.data import load_split

  cfg = _fashion_config("infogan", 600)
  state = train_and_evaluate(cfg, str(tmp_path))
  images, labels = load_split(cfg.dataset, "test", limit=1000)
  exp = build_experiment(cfg)
  accuracy, _ = matched_accuracy(infogan_code_predictions(exp, state, images), labels, 10)
  untrained, _ = matched_accuracy(infogan_code_predictions(exp, exp.init_state(), images), labels, 10)
  kmeans = kmeans_baseline(images, labels, k=10, seed=0)
  random_code, _ = matched_accuracy(np.random.default_rng(0).integers(0, 10, len(labels)), labels, 10)
  print(f"infogan code accuracy {accuracy:.3f}; k-means {kmeans:.3f}, untrained Q {untrained:.3f}, "
        f"random code {random_code:.3f}")
  # Measured: k-means 0.561, untrained Q 0.286, random 0.138; the code 0.427 (2026-12-07), 0.363
  # (seed 0) and 0.402 (seed 1) on 2026-12-08's guest: 0.65-0.76 of k-means.
  assert max(random_code, untrained) < 0.6 * kmeans, (random_code, untrained, kmeans)
  assert accuracy > max(0.6 * kmeans, untrained + 0.05), (accuracy, untrained, kmeans)
