"""SNGAN (ganjax/families/sngan) and the shared ResNet blocks (ganjax/nn/resnet_blocks.py): each
block equals a direct computation of its layer sequence, the networks have the paper's shapes at
32x32 and work at 16x16, the configs are the paper's recipe, the family trains without NaN and
resumes bit for bit, runs on 8 fake devices, and a short run moves its samples' FID on the digits
far below where it started."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import (COMPILE_ONLY_XLA_FLAGS, TEST_XLA_FLAGS, assert_every_parameter_trained,
                      eight_device_gaps, straight_and_resumed)
from test_conditional_metrics import pixel_net  # noqa: F401  (a fixture: 4x4 cell means as features)
from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError
from ganjax.families import BuildContext, build_family
from ganjax.nn.resnet_blocks import DiscriminatorBlock, GeneratorBlock
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate


def tiny_config(**model):
  """sngan_emoji32's recipe on the 16x16 digits with tiny widths, batch 8."""
  from experiments.configs import sngan_emoji32
  c = sngan_emoji32.get_config()
  c.dataset.name = "digits"
  c.model.update({**dict(latent_dim=16, g_features=16, d_features=16), **model})
  c.batch_size, c.log_every, c.sample_every = 8, 2, 0
  return c


# ------------------------------------------------------------------------- blocks by hand

def _conv(x, p):
  """A 'SAME' stride-1 convolution with the layer's kernel (and bias), NHWC / HWIO."""
  y = jax.lax.conv_general_dilated(x, p["kernel"], (1, 1), "SAME",
                                   dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                   precision=jax.lax.Precision.HIGHEST)
  return y + p["bias"] if "bias" in p else y


def _bn(x, p, eps=1e-5):
  mu, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
  return (x - mu) / jnp.sqrt(var + eps) * p["scale"] + p["bias"]


_up = lambda x: jnp.repeat(jnp.repeat(x, 2, 1), 2, 2)
_pool = lambda x: x.reshape(x.shape[0], x.shape[1] // 2, 2, x.shape[2] // 2, 2, x.shape[3]).mean((2, 4))


def init(module, *args, seed=1):
  """module's variables on `args` (eval mode), as one compiled call: eager initialisation compiles
  each op on its own, which costs tens of seconds on a loaded 2-core machine."""
  return jax.jit(lambda k: module.init(k, *args, train=False))(jax.random.PRNGKey(seed))


@jax.jit
def _randomised(params, seed):
  """params with every leaf replaced by normal draws (so BatchNorm's scale and bias matter)."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(jax.random.PRNGKey(seed), len(leaves))
  return jax.tree.unflatten(tree, [jax.random.normal(k, l.shape) * 0.5 for k, l in zip(keys, leaves)])


def test_generator_block_equals_its_layer_sequence():
  x = jax.random.normal(jax.random.PRNGKey(0), (3, 4, 4, 3))
  block = GeneratorBlock(5)
  v = init(block, x)
  params = _randomised(v["params"], 2)
  out, _ = jax.jit(lambda v: block.apply(v, x, train=True, mutable=["batch_stats"]))(
      {**v, "params": params})
  assert out.shape == (3, 8, 8, 5)
  assert not any("bias" in params[conv] for conv in ("conv_0", "conv_1", "shortcut"))

  @jax.jit
  def direct(p):
    h = _conv(_up(jax.nn.relu(_bn(x, p["norm_0"]))), p["conv_0"])
    h = _conv(jax.nn.relu(_bn(h, p["norm_1"])), p["conv_1"])
    return h + _conv(_up(x), p["shortcut"])

  np.testing.assert_allclose(np.asarray(out), np.asarray(direct(params)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("features,downsample,preactivation",
                         [(6, True, False), (6, True, True), (4, False, True), (6, False, True)])
def test_discriminator_block_equals_its_layer_sequence(features, downsample, preactivation):
  x = jax.random.normal(jax.random.PRNGKey(0), (2, 8, 8, 4))
  block = DiscriminatorBlock(features, downsample=downsample, preactivation=preactivation)
  params = _randomised(init(block, x)["params"], 3)
  out = jax.jit(lambda p: block.apply({"params": p}, x, train=False))(params)
  pool = _pool if downsample else (lambda t: t)
  assert out.shape == (2, *((4, 4) if downsample else (8, 8)), features)
  # An identity shortcut exactly when channels stay and nothing is pooled.
  assert ("shortcut" in params) == (features != 4 or downsample)

  @jax.jit
  def direct(p):
    h = _conv(jax.nn.relu(x) if preactivation else x, p["conv_0"])
    h = pool(_conv(jax.nn.relu(h), p["conv_1"]))
    if "shortcut" not in p:
      return h + x
    if preactivation:
      return h + pool(_conv(x, p["shortcut"]))
    return h + _conv(pool(x), p["shortcut"])  # the optimized block pools first

  np.testing.assert_allclose(np.asarray(out), np.asarray(direct(params)), rtol=1e-4, atol=1e-4)


def test_spectral_norm_covers_every_discriminator_kernel():
  x = jnp.zeros((1, 8, 8, 3))
  v = init(DiscriminatorBlock(4, spectral_norm=True), x)
  kernels = {name for name, p in v["params"].items() if "kernel" in p}
  normalised = {name.split("/")[0] for stats in v["spectral_stats"].values() for name in stats
                if name.endswith("/u")}
  assert kernels == {"conv_0", "conv_1", "shortcut"} and normalised == kernels


# ------------------------------------------------------------------------- networks and configs

def _networks(shape, **model):
  cfg = tiny_config(**model)
  spec = dataclasses.replace(dataset_spec("digits"), shape=shape)
  return build_family(cfg, BuildContext(spec=spec)).networks


@pytest.mark.parametrize("shape", [(32, 32, 3), (16, 16, 1)])
def test_networks_map_latents_to_images_and_images_to_logits(shape):
  """Shapes by abstract evaluation (nothing compiles): the blocks' values are checked above."""
  nets = _networks(shape)
  z = jax.ShapeDtypeStruct((4, 16), jnp.float32)
  gv = jax.eval_shape(lambda z: nets["g"].init(jax.random.PRNGKey(1), z, train=False), z)
  images = jax.eval_shape(lambda v, z: nets["g"].apply(v, z, train=False), gv, z)
  assert images.shape == (4, *shape) and images.dtype == jnp.float32
  dense = gv["params"]["dense"]["kernel"]
  assert dense.shape == (16, (shape[0] // 8) ** 2 * 16)  # bottom width H / 8, as 4 for 32x32
  dv = jax.eval_shape(lambda x: nets["d"].init(jax.random.PRNGKey(2), x, train=False), images)
  out = jax.eval_shape(lambda v, x: nets["d"].apply(v, x, train=False), dv, images)
  assert out.logits.shape == (4,) and out.features.shape == (4, 16)
  assert sorted(dv["params"]) == ["block_0", "block_1", "block_2", "block_3", "dense"]
  assert "spectral_stats" in dv and "spectral_stats" not in gv  # spectral norm in D only


def test_configs_state_the_papers_recipe():
  from experiments.configs import sngan_emoji32, sngan_fashion_mnist32
  for module, dataset in ((sngan_emoji32, "emoji32"), (sngan_fashion_mnist32, "fashion_mnist32")):
    c = module.get_config()
    assert (c.model.name, c.dataset.name, c.loss, c.d_steps) == ("sngan", dataset, "hinge", 5)
    assert c.model.latent_dim == 128 and c.model.spectral_norm
    for side in ("g", "d"):
      assert dict(c.optimizers[side]) == dict(name="adam", learning_rate=2e-4, b1=0.0, b2=0.9)
  exp = build_experiment(tiny_config())
  assert [(p.name, p.repeat) for p in exp.objective.phases] == [("d", 5), ("g", 1)]
  assert exp.family.ema == ("g",)


def test_image_shapes_it_cannot_build_name_the_fix():
  for shape in ((28, 28, 1), (32, 16, 3)):
    with pytest.raises(ConfigError, match="divisible by 8"):
      _networks(shape)
  with pytest.raises(ConfigError, match="model.g_features"):
    _networks((16, 16, 1), g_features=0)


# ------------------------------------------------------------------------- training

def test_sngan_trains_without_nan_and_resumes_bit_for_bit(tmp_path):
  cfg = tiny_config()
  straight, resumed = straight_and_resumed(cfg, tmp_path)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)
  assert_every_parameter_trained(cfg, straight)


_EIGHT_SETUP = """
from test_biggan import tiny_config as biggan_config
from test_sngan import tiny_config as sngan_config
MAKERS = [({family!r}, {family}_config)]
"""


@pytest.mark.slow
@pytest.mark.parametrize("family", ["sngan", "biggan"])
def test_sngan_and_biggan_on_eight_devices_match_one(family):
  # One test per family, so the two can run on different workers. BigGAN compiles at -O1, not the
  # -O0 of other compile-only tests: at -O0 its pmap-mode G gradients differ from jit's by 6e-3
  # relative (2e-6 at -O1 and -O2), an XLA:CPU -O0 effect not traced further.
  flags = TEST_XLA_FLAGS if family == "biggan" else COMPILE_ONLY_XLA_FLAGS
  out = eight_device_gaps(_EIGHT_SETUP.format(family=family), steps=2, xla_flags=flags)
  # No dropout or noise besides the latents (and BigGAN's labels), which are drawn for the global
  # batch; G's BatchNorm statistics are global (pmean-ed in pmap mode): only the split sums'
  # rounding differs.
  assert out[family]["pmap8"] < 1e-4, out


def fid_on_digits(exp, state, net: str, cache_dir: str) -> float:
  """FID of 360 EMA samples against the digits' 360 test images in the feature space of `net`."""
  from ganjax.metrics.scoring import score
  row = score(run=(exp, state), metrics="fid", num_samples=360, feature_net=net,
              cache_dir=cache_dir)
  return row["eval/fid"]


def short_run_fid(cfg, tmp_path, net: str, steps: int = 100) -> tuple[float, float]:
  """(FID before, FID after) a `steps`-step run of `cfg` at batch 16 (fid_on_digits)."""
  cfg.num_train_steps, cfg.checkpoint_every, cfg.log_every = steps, steps, 50
  cfg.batch_size = 16
  exp = build_experiment(cfg)
  before = fid_on_digits(exp, exp.init_state(), net, str(tmp_path / "cache"))
  state = train_and_evaluate(cfg, str(tmp_path / "run"))
  return before, fid_on_digits(exp, state, net, str(tmp_path / "cache"))


@pytest.mark.slow
def test_short_sngan_run_brings_fid_far_below_its_start(tmp_path, pixel_net):
  before, after = short_run_fid(tiny_config(g_features=32, d_features=32), tmp_path, pixel_net)
  print(f"sngan digits FID (4x4 cell means): {before:.4f} -> {after:.4f}")
  # Measured 4.51 -> 0.096: the untrained G's samples are near-constant images, far from the
  # digits' cell statistics.
  assert after < 0.2 * before, (before, after)
