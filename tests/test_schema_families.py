"""The core's second step, proven by two test-only families built with the public API alone
(tests/upsampler_family.py: two image fields of different sizes; tests/voxel_family.py: 3-D
voxels): each trains 20 steps, resumes bit-exactly, and samples with `cond`; mismatched fields
and conditioning are refused with both shapes named."""

import os
import sys

import jax
import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import upsampler_family  # noqa: E402  (registers dataset and family)
import voxel_family  # noqa: E402

from ganjax.errors import ConfigError, DataFormatError  # noqa: E402
from ganjax.inference.sampling import dataset_cond  # noqa: E402
from ganjax.train.experiment import build_experiment  # noqa: E402
from ganjax.train.loop import train_and_evaluate  # noqa: E402
from ganjax.train.restore import restore_run, write_samples  # noqa: E402

FAMILIES = {"upsampler": upsampler_family, "voxels": voxel_family}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
  return str(tmp_path_factory.mktemp("tfds"))


def _config(name, data_dir, steps=20):
  c = FAMILIES[name].get_config()
  c.dataset.data_dir = data_dir
  c.num_train_steps = steps
  return c


@pytest.fixture(scope="module")
def runs(data_dir, tmp_path_factory):
  """{family: (workdir, final state)} of one 20-step run each, shared by the tests below."""
  out = {}
  for name in FAMILIES:
    workdir = str(tmp_path_factory.mktemp(name) / "run")
    out[name] = (workdir, jax.device_get(train_and_evaluate(_config(name, data_dir), workdir)))
  return out


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FAMILIES))
def test_trains_20_steps_and_resumes_bit_exactly(name, runs, data_dir, tmp_path):
  workdir, straight = runs[name]
  assert int(straight.step) == 20
  assert sorted(os.listdir(os.path.join(workdir, "samples"))) == ["step_0000010.png",
                                                                   "step_0000020.png"]
  resumed_dir = str(tmp_path / "resumed")
  train_and_evaluate(_config(name, data_dir, steps=10), resumed_dir)
  resumed = jax.device_get(train_and_evaluate(_config(name, data_dir), resumed_dir))
  jax.tree.map(lambda a, b: np.testing.assert_array_equal(a, b), resumed, straight)


@pytest.mark.slow
def test_upsampler_samples_from_low_resolution_cond_and_learned(runs, tmp_path):
  workdir, state = runs["upsampler"]
  exp, _ = restore_run(workdir)
  cond = dataset_cond(exp, 16)
  assert set(cond) == {"lr"} and cond["lr"].shape == (16, 8, 8, 1)
  out = np.asarray(exp.sample(state, jax.random.PRNGKey(0), 16, cond=cond))
  assert out.shape == (16, 16, 16, 1) and out.min() >= -1 and out.max() <= 1
  # Trained G is closer to the high-resolution test images than the untrained one.
  from ganjax.data.sources import data_source
  hr = data_source(exp.config.dataset, "test").arrays["hr"][:16].astype(np.float32) / 127.5 - 1
  untrained = np.asarray(exp.sample(exp.init_state(), jax.random.PRNGKey(0), 16, cond=cond))
  assert np.abs(out - hr).mean() < 0.9 * np.abs(untrained - hr).mean()
  # sample.py --cond=FILE.npz: uint8 low-resolution images in, one sample per row out.
  lr = data_source(exp.config.dataset, "test").arrays["lr"][:5]
  np.savez(tmp_path / "cond.npz", lr=lr)
  path, shape = write_samples(workdir, str(tmp_path / "sr.npy"), cond=str(tmp_path / "cond.npz"))
  assert shape == (5, 16, 16, 1) and np.load(path).dtype == np.uint8
  np.savez(tmp_path / "bad.npz", lr=np.zeros((5, 7, 7, 1), np.uint8))
  with pytest.raises(DataFormatError, match=r"field 'lr': expected uint8 \(8, 8, 1\), got uint8 "
                                            r"\(7, 7, 1\)"):
    write_samples(workdir, str(tmp_path / "x.npy"), cond=str(tmp_path / "bad.npz"))
  np.savez(tmp_path / "label.npz", label=np.zeros(5, np.int64))
  with pytest.raises(ConfigError, match=r"cannot be conditioned on 'label'; it takes \['lr'\]"):
    write_samples(workdir, str(tmp_path / "x.npy"), cond=str(tmp_path / "label.npz"))
  with pytest.raises(ConfigError, match=r"cond\['lr'\] has per-example shape \(4, 4, 1\)"):
    exp.sample(state, jax.random.PRNGKey(0), 2, cond={"lr": np.zeros((2, 4, 4, 1))})


@pytest.mark.slow
def test_voxel_gan_samples_requested_classes_and_renders_grids(runs, tmp_path):
  workdir, state = runs["voxels"]
  exp, _ = restore_run(workdir)
  labels = np.array([0, 0, 1, 1], np.int32)
  out = np.asarray(exp.sample(state, jax.random.PRNGKey(0), 4, cond={"label": labels}))
  assert out.shape == (4, 8, 8, 8, 1) and out.min() >= 0 and out.max() <= 1
  # The label reaches G: the same noise with the other class gives other voxels.
  flipped = np.asarray(exp.sample(state, jax.random.PRNGKey(0), 4, cond={"label": 1 - labels}))
  assert np.abs(out - flipped).mean() > 1e-3
  np.savez(tmp_path / "cond.npz", label=np.array([1, 1, 0]))
  path, shape = write_samples(workdir, str(tmp_path / "v.png"), cond=str(tmp_path / "cond.npz"))
  assert shape == (3, 8, 8, 8, 1) and os.path.getsize(path) > 0


def test_a_family_reading_another_field_shape_is_refused_before_compiling(data_dir):
  c = _config("upsampler", data_dir)
  c.model.factor = 4  # reads lr at a quarter of hr's size: (4, 4, 1), the dataset has (8, 8, 1)
  with pytest.raises(ConfigError, match=r"reads field 'lr' of shape \(4, 4, 1\) per example, but "
                                        r"dataset 'test_digits_sr2' has 'lr' of shape \(8, 8, 1\)"):
    build_experiment(c)
  exp = build_experiment(_config("upsampler", data_dir))
  assert exp.spec.fields == ("hr", "lr", "label") and exp.data_shape == (16, 16, 1)
  with pytest.raises(ConfigError, match=r"samples from an input: pass cond with one of \['lr'\]"):
    exp.sample(exp.init_state(), jax.random.PRNGKey(0), 2)


@pytest.mark.slow
def test_multi_field_and_3d_batches_shard_over_eight_devices_as_on_one():
  """Feeding and sharding per field: the hr/lr batch and the 3-D voxel batch split over 8 fake
  devices (the sharded jit step and the per-device shard_map step) train as on one device."""
  from conftest import eight_device_gaps
  setup = """
import upsampler_family, voxel_family
data_dir = tempfile.mkdtemp()
def _make(module):
  def make():
    c = module.get_config()
    c.dataset.data_dir, c.sample_every = data_dir, 0
    return c
  return make
MAKERS = [("upsampler", _make(upsampler_family)), ("voxels", _make(voxel_family))]
"""
  out = eight_device_gaps(setup, steps=3, modes=("jit8", "pmap8"))
  for name in ("upsampler", "voxels"):
    for mode, gap in out[name].items():
      assert gap < 1e-4, (name, mode, out)
