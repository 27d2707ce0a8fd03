"""ganjax.backends: every layer set builds the same networks (same parameters, outputs and
gradients), model code never imports a backend, and `layer_set` picks and refuses as documented."""

import ast
import logging
from pathlib import Path

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.backends import CONV_KERNELS, LAYER_CHOICES, layer_set
from ganjax.backends.cpu import cpu_layers
from ganjax.backends.cpu.kernels import onednn
from ganjax.errors import ConfigError
from ganjax.families.dcgan.networks import DCGANDiscriminator, DCGANGenerator
from ganjax.nn.layers import PLAIN

ROOT = Path(__file__).resolve().parents[1]

SETS = [
    pytest.param(lambda: PLAIN, id="flax"),
    pytest.param(lambda: cpu_layers("xla"), id="cpu-xla"),
    pytest.param(lambda: cpu_layers("onednn"), id="cpu-onednn", marks=pytest.mark.skipif(
        not onednn.available(), reason=f"oneDNN unavailable: {onednn.unavailable_reason()}")),
]


def _close(got, want, rtol, atol):
  """Same tree; leaves equal to float rounding (atol relative to the leaf's largest magnitude:
  batch statistics' gradients sum thousands of rounded terms)."""
  assert jax.tree.structure(got) == jax.tree.structure(want)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(
      a, b, rtol=rtol, atol=atol * max(1.0, float(jnp.max(jnp.abs(b))))), got, want)


def _same_parameter_trees(make, layers, *args):
  """Inits the network with PLAIN and with `layers`: identical structure and shapes. Returns the
  two modules and PLAIN's variables."""
  ref, ours = make(PLAIN), make(layers)
  variables = ref.init(jax.random.key(1), *args, train=False)
  assert jax.tree.map(jnp.shape, jax.eval_shape(lambda: ours.init(jax.random.key(1), *args,
                                                                  train=False))) == \
      jax.tree.map(jnp.shape, variables)
  return ref, ours, variables


def _sin_sum(out, weights):
  """A generic scalar of a network's outputs (an array or a DOutput): weighted sines summed."""
  return sum(jnp.sum(jnp.sin(y) * w) for y, w in zip(jax.tree.leaves(out), weights))


@pytest.mark.parametrize("make_set", SETS)
@pytest.mark.parametrize("train", [True, False])
def test_dcgan_generator_is_the_same_function_in_every_set(make_set, train):
  z = jax.random.normal(jax.random.key(0), (4, 32))
  ref, ours, variables = _same_parameter_trees(
      lambda s: DCGANGenerator((28, 28, 1), layers=s), make_set(), z)
  weights = [jax.random.normal(jax.random.key(3), (4, 28, 28, 1))]

  def run(m, params):  # train=True: BatchNorm normalises by batch statistics and updates them
    return m.apply({**variables, "params": params}, z, train=train, mutable=["batch_stats"])

  def loss(m):
    def f(params):
      y, updates = run(m, params)
      return _sin_sum(y, weights), (y, updates)
    return f

  grad = lambda m: jax.value_and_grad(loss(m), has_aux=True)(variables["params"])
  (l_ref, (y_ref, up_ref)), g_ref = grad(ref)
  (l, (y, up)), g = grad(ours)
  _close(y, y_ref, rtol=1e-5, atol=1e-5)
  _close(up, up_ref, rtol=1e-5, atol=1e-6)
  _close(g, g_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make_set", SETS)
@pytest.mark.parametrize("dropout_rate, train", [(0.0, True), (0.4, False)])
def test_dcgan_discriminator_is_the_same_function_in_every_set(make_set, dropout_rate, train):
  """Dropout off (rate 0, or not training): the cpu set's masks differ from flax's by design."""
  x = jax.random.uniform(jax.random.key(0), (4, 28, 28, 1), minval=-1, maxval=1)
  ref, ours, variables = _same_parameter_trees(
      lambda s: DCGANDiscriminator(dropout_rate=dropout_rate, layers=s), make_set(), x)
  apply = lambda m: lambda v, x: m.apply(v, x, train=train)
  out_ref = apply(ref)(variables, x)
  weights = [jax.random.normal(jax.random.key(3), y.shape) for y in jax.tree.leaves(out_ref)]
  # Parameter gradients, and the image gradient a generator update flows through.
  grad = lambda m: jax.grad(lambda v, x: _sin_sum(apply(m)(v, x), weights), (0, 1))(variables, x)
  _close(apply(ours)(variables, x), out_ref, rtol=1e-5, atol=1e-5)
  _close(grad(ours), grad(ref), rtol=1e-4, atol=1e-5)


class _Unnamed(nn.Module):
  """Every layer of the contract, none named: flax's automatic names must agree across sets."""
  layers: object

  @nn.compact
  def __call__(self, x, train: bool):
    x = self.layers.conv(8, (3, 3), (2, 2))(x)
    x = self.layers.batch_norm(use_running_average=not train)(x)
    x = self.layers.dropout(0.5, deterministic=not train)(x)
    x = self.layers.conv_transpose(4, (3, 3), (2, 2))(x)
    return self.layers.dense(2)(x)


def test_unnamed_layers_get_the_same_parameter_paths_in_every_set():
  x = jnp.ones((2, 8, 8, 3))
  init = lambda s: jax.eval_shape(lambda: _Unnamed(s).init(jax.random.key(0), x, train=False))
  trees = [jax.tree.map(jnp.shape, init(s)) for s in (PLAIN, cpu_layers("xla"))]
  assert trees[0] == trees[1]


def _imported_modules(path: Path) -> set[str]:
  """Absolute names of every module a file imports (relative imports resolved), plus
  `package.name` for each `from package import name`."""
  package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
  names = set()
  for node in ast.walk(ast.parse(path.read_text(), str(path))):
    if isinstance(node, ast.Import):
      names.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:
        parent = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join(parent + ([base] if base else []))
      names.add(base)
      names.update(f"{base}.{alias.name}" for alias in node.names)
  return names


def test_model_code_never_imports_a_backend():
  files = sorted(p for d in ("ganjax/families", "ganjax/nn") for p in (ROOT / d).rglob("*.py"))
  assert any(p.name == "networks.py" for p in files)
  forbidden = ("ganjax.backends", "ganjax.kernels")
  for path in files:
    for name in _imported_modules(path):
      assert not any(name == f or name.startswith(f + ".") for f in forbidden), \
          f"{path.relative_to(ROOT)} imports {name}: take a `layers: Layers` field instead"


def test_auto_picks_the_cpu_set_on_xla_cpu_in_float32_only(caplog):
  assert LAYER_CHOICES == ("auto", "flax", "cpu") and CONV_KERNELS == ("auto", "xla", "onednn")
  assert jax.default_backend() == "cpu"
  with caplog.at_level(logging.INFO, logger="absl"):
    assert layer_set("auto", conv_kernels="xla") is cpu_layers("xla")
  assert "cpu(xla)" in caplog.text and "float32" in caplog.text
  assert layer_set() is layer_set("auto")  # one object per choice: modules hash equal
  assert layer_set().name in ("cpu(xla)", "cpu(onednn)")
  for dtype in ("bfloat16", jnp.bfloat16, jnp.float16):
    assert layer_set("auto", dtype=dtype) is PLAIN
  assert layer_set("flax") is PLAIN
  assert layer_set("cpu", conv_kernels="xla", dtype="bfloat16") is cpu_layers("xla")


def test_bad_choices_and_impossible_forcing_name_the_fix(monkeypatch):
  with pytest.raises(ConfigError, match="runtime.layers must be one of"):
    layer_set("fast")
  with pytest.raises(ConfigError, match="'auto', 'xla' or 'onednn'"):
    layer_set("cpu", conv_kernels="mkl")
  with pytest.raises(ConfigError, match="float32"):
    layer_set("cpu", conv_kernels="onednn", dtype="bfloat16")
  if onednn.available():
    with pytest.raises(ConfigError, match="runtime.layers = 'cpu' or 'auto'"):
      layer_set("flax", conv_kernels="onednn")
  # The sub-pixel ConvTranspose implements "SAME" only: other paddings build flax's layer.
  assert type(cpu_layers("xla").conv_transpose(4, (5, 5), (2, 2), padding="VALID")) is \
      nn.ConvTranspose

  monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
  assert layer_set("auto") is PLAIN
  assert layer_set("flax") is PLAIN
  with pytest.raises(ConfigError, match="this backend is 'gpu'; use 'auto' or 'flax'"):
    layer_set("cpu")
  with pytest.raises(ConfigError, match="runs on the CPU only"):
    layer_set("auto", conv_kernels="onednn")
