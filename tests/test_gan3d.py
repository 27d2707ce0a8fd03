"""3D-GAN (ganjax/families/gan3d/): the undilated 3-D convolutions equal flax's and their adjoint,
the adaptive critic's gate leaves D and its Adam state bit for bit while shut and trains it while
open (decided from the state inside the compiled step), and the isosurface renderer draws and
writes what a grid holds."""

import dataclasses

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from experiments.configs import gan3d_voxels32
from ganjax.errors import ConfigError
from ganjax.families.gan3d.objective import TECHNIQUE, critic_accuracy
from ganjax.inference import voxels
from ganjax.nn.conv3d import StridedConv3D, UpConv3D
from ganjax.train.experiment import build_experiment
from ganjax.train.timing import random_batch


def _kernel_and_input(c=3, f=5, n=6, seed=0):
  kx, kk, kb = jax.random.split(jax.random.PRNGKey(seed), 3)
  x = jax.random.normal(kx, (2, n, n, n, c))
  params = {"kernel": jax.random.normal(kk, (4, 4, 4, c, f)), "bias": jax.random.normal(kb, (f,))}
  return x, {"params": params}


def test_strided_conv3d_equals_flax_conv_and_its_gradient():
  x, variables = _kernel_and_input()
  flax_conv = nn.Conv(5, (4, 4, 4), (2, 2, 2), padding="SAME")
  ours = StridedConv3D(5)
  y, y_ref = ours.apply(variables, x), flax_conv.apply(variables, x)
  assert y.shape == (2, 3, 3, 3, 5)
  np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-4)
  loss = lambda m: lambda v, x: jnp.sum(jnp.sin(m.apply(v, x)))
  g, g_ref = jax.grad(loss(ours), (0, 1))(variables, x), jax.grad(loss(flax_conv), (0, 1))(variables, x)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3), g, g_ref)


def test_strided_conv3d_refuses_odd_sizes():
  x, variables = _kernel_and_input(n=5)
  with pytest.raises(ValueError, match="even spatial sizes"):
    StridedConv3D(5).apply(variables, x)


def test_up_conv3d_is_the_adjoint_of_the_strided_conv():
  """<Up(y), x> = <y, Down(x)> with the same kernel and no bias: UpConv3D is the transposed map."""
  x, variables = _kernel_and_input(c=3, f=4, n=6)
  kernel = variables["params"]["kernel"]
  y = jax.random.normal(jax.random.PRNGKey(3), (2, 3, 3, 3, 4))
  down = lambda x: StridedConv3D(4, use_bias=False).apply({"params": {"kernel": kernel}}, x)
  # UpConv3D(features=C) maps F -> C channels with kernel [4, 4, 4, F, C]: the transpose of
  # Down's [4, 4, 4, C, F] over its last two axes.
  up = UpConv3D(3, use_bias=False).apply({"params": {"kernel": kernel.transpose(0, 1, 2, 4, 3)}}, y)
  assert up.shape == x.shape
  (adjoint,) = jax.linear_transpose(down, x)(y)
  np.testing.assert_allclose(up, adjoint, rtol=1e-5, atol=1e-4)


def test_critic_accuracy_by_hand():
  real = jnp.array([2.0, -1.0, 0.5, 3.0])  # 3 of 4 right (> 0)
  fake = jnp.array([-2.0, 1.0, -0.1, 0.0])  # 2 of 4 right (< 0; 0 is wrong)
  assert float(critic_accuracy(real, fake)) == pytest.approx(5 / 8)


def _tiny_config(threshold=0.8):
  c = gan3d_voxels32.get_config()
  c.model.g_features, c.model.d_features, c.model.latent_dim = 8, 4, 16
  c.model.adaptive_threshold = threshold
  c.batch_size = 4
  return c


def test_gate_needs_skip_zero_grads():
  c = _tiny_config()
  c.optimizers.d.skip_zero_grads = False
  with pytest.raises(ConfigError, match="skip_zero_grads"):
    build_experiment(c)


def test_adaptive_gate_shut_keeps_d_bit_for_bit_and_open_trains_it():
  exp = build_experiment(_tiny_config())
  step = exp.train_step
  batch = random_batch(exp, 4)
  state = exp.init_state()
  assert float(state.extras[TECHNIQUE]["accuracy"]) == 0.0  # D trains on the first step
  before = jax.device_get(state)
  state, m = step(state, batch)
  after_open = jax.device_get(state)
  assert float(m["d_updated"]) == 1.0
  assert not np.array_equal(jax.tree.leaves(after_open.players["d"].params)[0],
                            jax.tree.leaves(before.players["d"].params)[0])
  # The accuracy D had on this batch (before its update) is what the next step's gate reads.
  assert float(after_open.extras[TECHNIQUE]["accuracy"]) == pytest.approx(float(m["d_accuracy"]))

  # Shut the gate: D's last accuracy above the threshold.
  shut = state.replace(extras={**state.extras, TECHNIQUE: {"accuracy": jnp.float32(0.9)}})
  kept_d = jax.device_get(shut.players["d"])
  kept_g = jax.device_get(shut.players["g"].params)
  state, m = step(shut, batch)
  got = jax.device_get(state)
  assert float(m["d_updated"]) == 0.0
  # Parameters, BatchNorm statistics and Adam's moments and count: unchanged, bit for bit.
  jax.tree.map(np.testing.assert_array_equal, got.players["d"], kept_d)
  # G still trains on a shut step.
  changed = jax.tree.map(lambda a, b: not np.array_equal(a, b), got.players["g"].params, kept_g)
  assert any(jax.tree.leaves(changed))


def test_threshold_one_never_shuts_the_gate():
  exp = build_experiment(_tiny_config(threshold=1.0))
  state = exp.init_state()
  state = state.replace(extras={**state.extras, TECHNIQUE: {"accuracy": jnp.float32(1.0)}})
  _, m = exp.train_step(state, random_batch(exp, 4))
  assert float(m["d_updated"]) == 1.0


def _ball(n=16, radius=5.0):
  axis = np.arange(n) - (n - 1) / 2
  d, h, w = np.meshgrid(axis, axis, axis, indexing="ij")
  return (d ** 2 + h ** 2 + w ** 2 <= radius ** 2).astype(np.float32)


def test_isosurface_of_a_ball_lies_on_its_sphere_and_an_empty_grid_has_none():
  verts, faces = voxels.isosurface(_ball())
  assert len(faces) > 100 and faces.max() < len(verts)
  r = np.linalg.norm(verts - (16 - 1) / 2, axis=-1)
  assert 4.0 < r.min() and r.max() < 6.0  # the level-0.5 surface sits between the voxel shells
  empty_v, empty_f = voxels.isosurface(np.zeros((8, 8, 8)))
  assert empty_v.shape == (0, 3) and empty_f.shape == (0, 3)
  full_v, _ = voxels.isosurface(np.ones((8, 8, 8)))  # padded: the full grid's boundary is a cube
  assert len(full_v) > 0


def test_write_objs_writes_one_parsable_mesh_per_grid(tmp_path):
  paths = voxels.write_objs(str(tmp_path), np.stack([_ball()[..., None], np.zeros((16, 16, 16, 1))]))
  assert [p.rsplit("/", 1)[1] for p in paths] == ["sample_00000.obj", "sample_00001.obj"]
  lines = open(paths[0]).read().splitlines()
  vs = [l for l in lines if l.startswith("v ")]
  fs = [list(map(int, l.split()[1:])) for l in lines if l.startswith("f ")]
  verts, faces = voxels.isosurface(_ball())
  assert len(vs) == len(verts) and len(fs) == len(faces)
  assert min(map(min, fs)) == 1 and max(map(max, fs)) == len(vs)  # 1-based indices
  assert not [l for l in open(paths[1]).read().splitlines() if l.startswith("f ")]


def test_render_draws_the_shape_on_a_black_background():
  images = voxels.render_voxels(np.stack([_ball(), np.zeros((16, 16, 16))]))
  assert images.shape == (2, 64, 64, 1) and images.dtype == np.float32
  ball, empty = images[0, ..., 0], images[1, ..., 0]
  assert np.all(empty == -1.0)
  assert ball[0, 0] == -1.0 and ball[32, 32] > -0.5  # corner background, centre lit
  lit = ball > -1.0
  # A ball of radius 5 in a 16^3 grid: a disc of about 2 * 5.5 / (sqrt(3) * 16) of the width.
  frac = lit.mean()
  disc = np.pi * (5.5 / (np.sqrt(3) * 16)) ** 2
  assert 0.5 * disc < frac < 1.5 * disc
  # Lambert shading varies over the sphere (not a flat silhouette).
  assert np.ptp(ball[lit]) > 0.3


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
  """A 2-step run of the tiny config on voxel_shapes32: its workdir."""
  from ganjax.train.loop import train_and_evaluate
  c = _tiny_config()
  c.num_train_steps, c.checkpoint_every, c.log_every, c.sample_every = 2, 2, 1, 2
  c.num_grid_samples = 4
  workdir = str(tmp_path_factory.mktemp("gan3d") / "run")
  train_and_evaluate(c, workdir)
  return workdir


def test_sample_writes_voxel_grids_meshes_and_renders(tiny_run, tmp_path):
  import os
  from PIL import Image
  from ganjax.train.restore import write_samples
  # The loop's sample grid is drawn by the renderer.
  assert os.listdir(os.path.join(tiny_run, "samples")) == ["step_0000002.png"]
  path, shape = write_samples(tiny_run, str(tmp_path / "v.npy"), num=3, seed=1)
  grids = np.load(path)
  assert shape == grids.shape == (3, 32, 32, 32, 1) and grids.dtype == np.uint8
  assert set(np.unique(grids)) <= {0, 1}  # the dataset's stored form: occupied from 0.5
  out, _ = write_samples(tiny_run, str(tmp_path / "shapes") + "/", num=3, seed=1)
  names = sorted(os.listdir(out))
  assert names == ["sample_00000.obj", "sample_00001.obj", "sample_00002.obj"]
  # Each mesh is the isosurface of the grid the .npy holds.
  for name, grid in zip(names, grids):
    faces = [l for l in open(os.path.join(out, name)) if l.startswith("f ")]
    assert len(faces) == len(voxels.isosurface(grid)[1])
  write_samples(tiny_run, str(tmp_path / "v.png"), num=4, seed=1)
  assert Image.open(tmp_path / "v.png").size == (2 * 66 + 2, 2 * 66 + 2)  # 2x2 renders of 64 px
