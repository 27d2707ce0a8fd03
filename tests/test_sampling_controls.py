"""Sampling controls (ganjax/inference/grids.py, experiments/sample.py): --label / --code fix a code
of every sample, --grid=classes / codes / interpolate lay out grids that vary one code, and the
training loop's grid shows one row per class for conditional families. Untrained tiny networks on
the 16x16 digits: the checks are about which codes reach the generator, not image quality."""

import dataclasses
import os
from types import SimpleNamespace

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from conftest import run_script
from ganjax.checkpoint import Checkpointer
from ganjax.core.networks import Networks
from ganjax.objectives.adversarial import takes_truncation
from ganjax.inference.sampling import check_truncation
from ganjax.errors import ConfigError
from ganjax.inference.grids import (class_layout, code_layout, grid_layout, interpolation_layout,
                                   render_grid, sample_fix, slerp)
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import write_sample_grid
from ganjax.train.restore import write_samples

H, PAD, K = 16, 2, 10  # digits: 16x16x1, 10 classes; image_grid's padding
TINY = dict(g_base_features=8, g_mid_features=8, d_features=(8, 8))


def _config(name):
  from experiments.configs import dcgan_digits
  c = dcgan_digits.get_config()
  c.batch_size, c.sample_every, c.num_grid_samples = 8, 0, 24
  model = {"dcgan": dict(name="dcgan", latent_dim=8),
           "cgan": dict(name="cgan", latent_dim=8, label_embed_dim=4),
           "infogan": dict(name="infogan", noise_dim=6, categorical_dim=4, continuous_dim=2,
                           q_hidden=8)}[name]
  c.model = {**model, **TINY}
  return c


@pytest.fixture(scope="module")
def runs():
  """{name: (experiment, initial state)}, built once for the module; dcgan without a state."""
  out = {"dcgan": (build_experiment(_config("dcgan")), None)}
  for name in ("cgan", "infogan"):
    exp = build_experiment(_config(name))
    out[name] = (exp, exp.init_state())
  return out


@pytest.fixture(scope="module")
def workdirs(runs, tmp_path_factory):
  """Tiny workdirs (config.json + a step-0 checkpoint of the untrained state) for the CLI path;
  dcgan's has no checkpoint (its requests fail before one is read)."""
  out = {}
  for name in ("dcgan", "cgan", "infogan"):
    exp, state = runs[name]
    d = str(tmp_path_factory.mktemp(name))
    with open(os.path.join(d, "config.json"), "w") as f:
      f.write(exp.config.to_json_best_effort(indent=2))
    if state is not None:
      ckpt = Checkpointer(d)
      ckpt.save(0, state, None, force=True)
      ckpt.close()
    out[name] = d
  return out


def _png_size(rows, cols, upscale=1):
  """(width, height) of image_grid's PNG of rows x cols 16x16 images."""
  return ((cols * (H + PAD) + PAD) * upscale, (rows * (H + PAD) + PAD) * upscale)


# ------------------------------------------------------------------------------ fixing one code


@pytest.mark.parametrize("name, flag, field, value", [("cgan", "label", "label", 3),
                                                      ("infogan", "code", "categorical", 2)])
def test_fixed_code_reaches_the_generator(runs, name, flag, field, value):
  exp, state = runs[name]
  fix = sample_fix(exp, **{flag: value})
  assert fix == {field: value}
  key, n = jax.random.PRNGKey(7), 2 * K  # the shapes of the class grid below: compiled once
  got = np.asarray(exp.sample(state, key, n, fix=fix))
  codes = dict(exp.objective.prior.sample(key, n))
  codes[field] = jnp.full((n,), value, jnp.int32)
  want = np.asarray(exp.objective.generate(state, codes))
  np.testing.assert_allclose(got, want, atol=1e-6)
  codes[field] = jnp.full((n,), value + 1, jnp.int32)  # the code matters to G
  assert not np.allclose(got, np.asarray(exp.objective.generate(state, codes)), atol=1e-6)


def test_bad_label_or_code_is_a_clear_error(runs):
  cgan, dcgan, infogan = runs["cgan"][0], runs["dcgan"][0], runs["infogan"][0]
  for bad in (10, -1):
    with pytest.raises(ConfigError, match=rf"--label={bad} is outside \[0, 10\): model 'cgan'"):
      sample_fix(cgan, label=bad)
  with pytest.raises(ConfigError, match=r"--label needs a class-conditional model \(a Conditional "
                                        r"family\); model 'dcgan' has no 'label' code"):
    sample_fix(dcgan, label=0)
  with pytest.raises(ConfigError, match=r"--code needs .*\(InfoGAN's prior\); model 'cgan'"):
    sample_fix(cgan, code=0)
  with pytest.raises(ConfigError, match=r"--code=4 is outside \[0, 4\): model 'infogan'"):
    sample_fix(infogan, code=4)
  with pytest.raises(ConfigError, match=r"--grid=classes needs a class-conditional model.*'dcgan'"):
    grid_layout("classes", dcgan, jax.random.PRNGKey(0))
  for exp in (dcgan, cgan):
    with pytest.raises(ConfigError, match=r"--grid=codes needs a model with categorical or "
                                          r"continuous latent codes \(InfoGAN's prior\)"):
      grid_layout("codes", exp, jax.random.PRNGKey(0))


# ------------------------------------------------------------------------------ grid layouts


def test_slerp_endpoints_are_the_latents_and_the_path_stays_on_the_sphere():
  rng = np.random.default_rng(0)
  a, b = rng.standard_normal((3, 8)).astype(np.float32), rng.standard_normal((3, 8)).astype(np.float32)
  b = b / np.linalg.norm(b, axis=-1, keepdims=True) * np.linalg.norm(a, axis=-1, keepdims=True)
  path = slerp(a, b, np.linspace(0, 1, 7))
  assert path.shape == (3, 7, 8) and path.dtype == np.float32
  np.testing.assert_array_equal(path[:, 0], a)
  np.testing.assert_array_equal(path[:, -1], b)
  np.testing.assert_allclose(np.linalg.norm(path, axis=-1),  # equal norms: a great circle
                             np.repeat(np.linalg.norm(a, axis=-1)[:, None], 7, 1), rtol=1e-5)
  np.testing.assert_allclose(slerp(a[0], 2 * a[0], np.array([0.5]))[0], 1.5 * a[0], rtol=1e-6)


def test_class_layout_has_a_row_per_class_and_shares_noise_down_columns(runs):
  exp, _ = runs["cgan"]
  layout = class_layout(exp, jax.random.PRNGKey(1), cols=3)
  assert (layout.rows, layout.cols) == (K, 3)
  labels, z = layout.codes["label"].reshape(K, 3), layout.codes["z"].reshape(K, 3, -1)
  np.testing.assert_array_equal(labels, np.repeat(np.arange(K)[:, None], 3, 1))
  np.testing.assert_array_equal(z, np.broadcast_to(z[:1], z.shape))
  assert not np.allclose(z[0, 0], z[0, 1])


def test_code_layout_traverses_each_code_with_the_others_fixed(runs):
  exp, _ = runs["infogan"]
  layout = code_layout(exp, jax.random.PRNGKey(2), rows=2)
  assert (layout.rows, layout.cols) == (3 * 2, 4)  # categorical + 2 continuous blocks, K columns
  cat = layout.codes["categorical"].reshape(3, 2, 4)
  cont = layout.codes["continuous"].reshape(3, 2, 4, 2)
  noise = layout.codes["noise"].reshape(3, 2, 4, -1)
  np.testing.assert_array_equal(cat[0], np.tile(np.arange(4), (2, 1)))
  np.testing.assert_array_equal(noise, np.broadcast_to(noise[:1, :, :1], noise.shape))
  assert not np.allclose(noise[0, 0, 0], noise[0, 1, 0])  # rows use different noise
  steps = np.linspace(-2, 2, 4)
  for j in range(2):
    np.testing.assert_allclose(cont[1 + j, :, :, j], np.tile(steps, (2, 1)), rtol=1e-6)
    other = cont[1 + j, :, :, 1 - j]
    np.testing.assert_array_equal(other, np.broadcast_to(other[:, :1], other.shape))
    np.testing.assert_array_equal(cat[1 + j], np.broadcast_to(cat[1 + j, :, :1], (2, 4)))
  with pytest.raises(ConfigError, match=r"one column per categorical value.*--num=4"):
    code_layout(exp, jax.random.PRNGKey(2), rows=2, cols=5)


@pytest.mark.parametrize("name", ["dcgan", "cgan", "infogan"])
def test_interpolation_layout_rows_run_between_two_latents(runs, name):
  exp, _ = runs[name]
  prior, key = exp.objective.prior, jax.random.PRNGKey(3)
  fix = sample_fix(exp, label=6) if name == "cgan" else None
  layout = interpolation_layout(exp, key, rows=2, cols=5, fix=fix)
  assert (layout.rows, layout.cols) == (2, 5) and set(layout.codes) == set(prior.fields)
  drawn = {k: np.asarray(v) for k, v in prior.sample(key, 4).items()}
  z = layout.codes[prior.latent_field].reshape(2, 5, -1)
  np.testing.assert_array_equal(z[:, 0], drawn[prior.latent_field][:2])
  np.testing.assert_array_equal(z[:, -1], drawn[prior.latent_field][2:])
  for field in set(prior.fields) - {prior.latent_field}:  # other codes: fixed along each row
    v = layout.codes[field].reshape(2, 5, -1)
    np.testing.assert_array_equal(v, np.broadcast_to(v[:, :1], v.shape))
  if fix:
    assert (layout.codes["label"] == 6).all()


def test_rendered_class_grid_uses_each_rows_label(runs):
  exp, state = runs["cgan"]
  layout = class_layout(exp, jax.random.PRNGKey(4), cols=2)
  images = render_grid(exp, state, layout)
  assert images.shape == (K * 2, H, H, 1)
  codes = {"z": jnp.asarray(layout.codes["z"]), "label": jnp.asarray(layout.codes["label"])}
  np.testing.assert_allclose(images, np.asarray(exp.objective.generate(state, codes)), atol=1e-6)


def test_training_grid_has_a_row_per_class_for_conditional_families(runs, tmp_path):
  for name, (rows, cols) in (("cgan", (K, 2)), ("infogan", (5, 5))):  # num_grid_samples = 24
    exp, state = runs[name]
    path = write_sample_grid(exp, state, str(tmp_path / name), 0)
    assert Image.open(path).size == _png_size(rows, cols, upscale=2)


# ------------------------------------------------------------------------------ the CLI path


def test_write_samples_flags_write_the_requested_shapes(workdirs, tmp_path):
  cgan, infogan, dcgan = workdirs["cgan"], workdirs["infogan"], workdirs["dcgan"]
  out = str(tmp_path / "s.npy")
  path, shape = write_samples(cgan, out, num=5, label=4)
  saved = np.load(path)
  assert shape == saved.shape == (5, H, H, 1) and saved.dtype == np.uint8
  assert write_samples(infogan, out, num=3, code=1)[1] == (3, H, H, 1)
  cases = [(cgan, dict(grid="interpolate", rows=2, num=4), (2, 4)),  # classes: the CLI test
           (infogan, dict(grid="codes", rows=2), (3 * 2, 4))]
  for workdir, flags, (rows, cols) in cases:
    png = str(tmp_path / f"{flags['grid']}.png")
    assert write_samples(workdir, png, **flags)[1] == (rows * cols, H, H, 1)
    assert Image.open(png).size == _png_size(rows, cols)
  with pytest.raises(ConfigError, match=r"--grid=classes writes an image grid: --out must end "
                                        r"in \.png"):
    write_samples(cgan, out, grid="classes")
  with pytest.raises(ConfigError, match=r"--label needs a class-conditional model"):
    write_samples(dcgan, out, label=1)  # before its (missing) checkpoint is read
  with pytest.raises(ConfigError, match=r"--grid=classes needs a class-conditional model"):
    write_samples(dcgan, str(tmp_path / "g.png"), grid="classes")
  with pytest.raises(ConfigError, match=r"--label=10 is outside \[0, 10\)"):
    write_samples(cgan, out, label=10)
  with pytest.raises(ConfigError, match=r"one file per sample.*lacks export"):
    write_samples(cgan, str(tmp_path / "meshes") + "/")  # only a family that Exports writes files


def test_a_plain_png_holds_the_same_samples_as_the_npy(workdirs, tmp_path):
  """--out=x.png without a grid draws the samples --out=x.npy holds (same seed), pixel for pixel:
  uint8 samples are not converted a second time (which saturated every pixel to white)."""
  from ganjax.images import image_grid
  npy, png = str(tmp_path / "s.npy"), str(tmp_path / "s.png")
  write_samples(workdirs["cgan"], npy, num=6, seed=3)
  write_samples(workdirs["cgan"], png, num=6, seed=3)
  samples = np.load(npy)
  assert samples.std() > 0  # an untrained G's samples are not one grey
  np.testing.assert_array_equal(np.asarray(Image.open(png)), image_grid(samples)[..., 0])


def test_sample_cli_writes_a_class_grid(workdirs, tmp_path):
  png = tmp_path / "classes.png"
  proc = run_script(["experiments/sample.py", f"--workdir={workdirs['cgan']}", "--grid=classes",
                     "--num=2", f"--out={png}"], timeout=300)
  assert proc.returncode == 0, proc.stderr[-3000:]
  assert Image.open(png).size == _png_size(K, 2)


# ------------------------------------------------------------------------------ truncation


def test_truncation_reaches_a_generator_that_takes_it_and_is_refused_elsewhere(runs, workdirs,
                                                                               tmp_path):
  class Scaled(nn.Module):  # a generator whose output is psi * z: shows psi reaches it
    @nn.compact
    def __call__(self, z, *, train: bool, truncation=None):
      return z if truncation is None else z * truncation

  dcgan = runs["dcgan"][0]
  assert takes_truncation(Scaled()) and not dcgan.objective.supports_truncation
  with pytest.raises(ConfigError, match=r"--truncation: model 'dcgan' has no truncation trick"):
    write_samples(workdirs["dcgan"], str(tmp_path / "x.npy"), truncation=0.5)
  with_trick = SimpleNamespace(objective=SimpleNamespace(supports_truncation=True),
                               config=dcgan.config)
  for bad in (-0.5, float("nan"), float("inf")):
    with pytest.raises(ConfigError, match=r"psi\) must be a finite number >= 0"):
      check_truncation(with_trick, bad)
  check_truncation(with_trick, 0.0)
  check_truncation(dcgan, None)
  # The objective forwards psi as the generator's keyword (and nothing when it is None).
  objective = dataclasses.replace(dcgan.objective, nets=Networks({"g": Scaled()}), generator="g")
  assert objective.supports_truncation
  state = SimpleNamespace(variables=lambda name, params, ema=False: {"params": {}}, frozen=())
  z = jnp.ones((2, 3))
  np.testing.assert_allclose(objective.generate(state, {"z": z}, truncation=0.25), 0.25 * z)
  np.testing.assert_allclose(objective.generate(state, {"z": z}), z)
