"""The README's extension examples run as written.

Each fenced block after a `<!-- readme-test: NAME -->` line is executed once, in its own
namespace, exactly as a reader would paste it; the tests then check that the registration took
effect and that the piece computes what its docstring says (hand formulas), and train one step of
a small digits config with it. A wrong README example fails here.
"""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.errors import ConfigError
from ganjax.train.experiment import build_experiment

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^<!-- readme-test: (\w+) -->\n```python\n(.*?)^```$", re.S | re.M)
EXPECTED = {"loss", "regularizer", "model", "family"}
_NAMESPACES: dict[str, dict] = {}


@pytest.fixture(scope="module", autouse=True)
def _registries_restored():
  """The README's blocks register a loss, a regularizer and families: drop them after this
  module, so tests that list a registry's names (error messages) see only ganjax's own."""
  from ganjax.families import FAMILIES, load_builtin
  from ganjax.objectives.losses import LOSSES
  from ganjax.objectives.regularizers import REGULARIZERS
  load_builtin()
  saved = {r: dict(r._items) for r in (LOSSES, REGULARIZERS, FAMILIES)}
  yield
  for registry, items in saved.items():
    registry._items.clear()
    registry._items.update(items)
  _NAMESPACES.clear()


def readme_blocks() -> dict[str, str]:
  found = BLOCK.findall(README.read_text())
  names = [n for n, _ in found]
  assert len(names) == len(set(names)), f"README marks a block name twice: {names}"
  return dict(found)


def run_block(name: str) -> dict:
  """The namespace of README block `name` after executing it (once per process: the block
  registers names, and a registry refuses a second registration)."""
  if name not in _NAMESPACES:
    ns = {"__name__": f"readme_{name}"}
    exec(compile(readme_blocks()[name], f"README.md<{name}>", "exec"), ns)  # noqa: S102
    _NAMESPACES[name] = ns
  return _NAMESPACES[name]


def _digits(config, batch: int = 8):
  config.dataset.name = "digits"
  config.batch_size, config.log_every, config.sample_every = batch, 1, 0
  return config


def _batch(n: int = 8, shape=(16, 16, 1), seed: int = 0) -> dict:
  x = jax.random.uniform(jax.random.PRNGKey(seed), (n, *shape), minval=-1.0, maxval=1.0)
  return {"image": x, "label": jnp.zeros((n,), jnp.int32)}


def _assert_finite(metrics: dict) -> dict:
  metrics = {k: float(v) for k, v in jax.device_get(metrics).items()}
  bad = {k: v for k, v in metrics.items() if not np.isfinite(v)}
  assert not bad, f"non-finite metrics: {bad}"
  assert metrics["nonfinite_steps"] == 0.0
  return metrics


def _assert_all_moved(before, after) -> None:
  for player in before.players:
    for net, params in before.players[player].params.items():
      pairs = zip(jax.tree.leaves(params), jax.tree.leaves(after.players[player].params[net]))
      assert all(not np.array_equal(a, b) for a, b in pairs), (player, net)


# ------------------------------------------------------------------------------- the README itself

def test_readme_marks_the_four_examples_and_keeps_the_house_rules():
  text = README.read_text()
  assert set(readme_blocks()) == EXPECTED
  assert "make demo" in text and "make test" in text
  assert len(text.splitlines()) < 260, "README is the five-minute page; details belong in docs/"
  for doc in ("docs/architecture.md", "docs/performance.md", "docs/metrics.md",
              "docs/reliability.md", "BENCHMARKS.md", "benchmarks/families.py"):
    assert doc in text and (ROOT / doc).is_file(), doc
  for config in ("dcgan_fashion_mnist", "fcgan_fashion_mnist", "vae_fashion_mnist", "gan_ring8"):
    assert (ROOT / "experiments" / "configs" / f"{config}.py").is_file(), config
    assert f"experiments/configs/{config}.py" in text


# ------------------------------------------------------------------------------- loss

def _check_boundary_seeking(loss) -> None:
  r = jnp.array([1.5, -0.3, 0.2, 2.0])
  f = jnp.array([-1.0, 0.4, -2.2, 0.7])
  d, g = loss(r, f)
  sp = lambda x: np.log1p(np.exp(x))
  rn, fn = np.asarray(r, np.float64), np.asarray(f, np.float64)
  np.testing.assert_allclose(float(d), np.mean(sp(-rn)) + np.mean(sp(fn)), rtol=1e-6)
  np.testing.assert_allclose(float(g), 0.5 * np.mean(fn ** 2), rtol=1e-6)


def test_loss_example_registers_and_computes_its_formula():
  from ganjax.objectives.losses import LOSSES, generator_reads_real, get_loss
  ns = run_block("loss")
  assert LOSSES.get("boundary_seeking") is ns["boundary_seeking"]
  _check_boundary_seeking(get_loss("boundary_seeking"))
  assert not generator_reads_real(LOSSES.get("boundary_seeking"))


def test_the_loss_check_can_fail():
  from ganjax.objectives.losses import non_saturating
  with pytest.raises(AssertionError):
    _check_boundary_seeking(non_saturating)  # same d, another g


# ------------------------------------------------------------------------------- regularizer

def test_regularizer_example_registers_with_its_hyperparameters():
  from ganjax.objectives.regularizers import REGULARIZERS, check_regularizers
  run_block("regularizer")
  spec = REGULARIZERS.get("drift")
  assert spec.default_weight == 0.001 and spec.hparams() == {"target": 0.0}
  critic = lambda x: 2.0 * jnp.sum(x, axis=1)
  real = jnp.array([[0.5, 0.25], [-1.0, 0.0], [0.1, 0.2]])
  value = spec.fn(critic, real, -real, jax.random.PRNGKey(0), target=0.5)
  np.testing.assert_allclose(float(value), np.mean((2.0 * np.sum(real, 1) - 0.5) ** 2), rtol=1e-6)
  check_regularizers({"drift": {"weight": 0.01, "target": 1.0, "every": 4}})
  with pytest.raises(ConfigError, match="unknown hyperparameter"):
    check_regularizers({"drift": {"scale": 1.0}})


def test_loss_and_regularizer_examples_train_a_step():
  from experiments.configs import fcgan_fashion_mnist
  run_block("loss"), run_block("regularizer")
  cfg = _digits(fcgan_fashion_mnist.get_config())
  cfg.loss = "boundary_seeking"
  cfg.regularizers = {"drift": {"weight": 0.5}}
  exp = build_experiment(cfg)
  state = exp.init_state()
  before = jax.device_get(state)
  state, metrics = exp.train_step(state, _batch())
  m = _assert_finite(metrics)
  assert m["reg_drift"] > 0.0
  np.testing.assert_allclose(m["d_loss"], m["d_adv_loss"] + m["reg_drift"], rtol=1e-5)
  _assert_all_moved(before, jax.device_get(state))


# ------------------------------------------------------------------------------- model

def test_model_example_builds_from_the_injected_layers_and_traces_a_step():
  from experiments.configs import dcgan_digits
  ns = run_block("model")
  code = readme_blocks()["model"]
  # Layers come from the injected set: no backend import, no flax layer class called directly.
  assert "ganjax.backends" not in code
  assert not re.search(r"\bnn\.(Conv|ConvTranspose|BatchNorm|Dropout|Dense)\(", code)
  cfg = _digits(dcgan_digits.get_config())
  cfg.model = {"name": "dcgan_small_critic", "latent_dim": 8, "d_widths": (4, 8)}
  exp = build_experiment(cfg)
  g, d = exp.family.networks["g"], exp.family.networks["d"]
  assert isinstance(d, ns["ConvCritic"]) and d.widths == (4, 8)
  assert d.layers is g.layers  # the run's one layer set, injected
  state = exp.abstract_state(sharded=False)
  kernel = state.players["d"].params["d"]["Conv_0"]["kernel"]
  assert kernel.shape == (4, 4, 1, 4)
  # The whole step traces (shapes, DOutput, the adversarial objective) without compiling.
  new_state, metrics = jax.eval_shape(exp._step, state, _batch())
  assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(metrics)
  assert jax.tree.structure(new_state) == jax.tree.structure(state)


# ------------------------------------------------------------------------------- family

def _family_config():
  return _digits(run_block("family")["get_config"]())


def test_family_example_registers_a_family_with_its_phases():
  from ganjax.families import FAMILIES
  ns = run_block("family")
  assert FAMILIES.get("hinge_mlp") is ns["build"]
  cfg = _family_config()
  # Each player gets its own optimizer block (not one shared object).
  cfg.optimizers.g.learning_rate = 1e-3
  assert cfg.optimizers.d.learning_rate == 2e-4
  exp = build_experiment(cfg)
  assert set(exp.family.players) == {"g", "d"} and exp.family.ema == ("g",)
  assert [(p.name, p.player, p.repeat, p.every) for p in exp.objective.phases] == [
      ("d", "d", 2, 1), ("g", "g", 1, 1)]


def test_family_example_trains_one_step_with_finite_metrics():
  exp = build_experiment(_family_config())
  state = exp.init_state()
  before = jax.device_get(state)
  state, metrics = exp.train_step(state, _batch())
  m = _assert_finite(metrics)
  assert {"d_loss", "g_loss", "d_grad_norm", "g_grad_norm"} <= set(m)
  assert int(state.step) == 1 and set(state.ema) == {"g"}
  _assert_all_moved(before, jax.device_get(state))
  samples = exp.sample(state, jax.random.PRNGKey(1), 4)
  assert samples.shape == (4, 16, 16, 1) and bool(jnp.all(jnp.abs(samples) <= 1.0))


def test_family_example_fields_are_checked_against_the_dataset():
  cfg = _family_config()
  cfg.dataset.name = "ring8"  # its batches carry "points", not "image"
  with pytest.raises(ConfigError, match="batch fields"):
    build_experiment(cfg)
