"""Image-to-image translation: the datasets (edge maps, domains, padding), the replay buffer of
past fakes, the reconstruction terms and pix2pix's losses against hand computations, pix2pix
resuming bit for bit and on 8 fake devices, its adversarial term reaching G, experiments/translate.py's
outputs and errors, and a short pix2pix run whose translations keep the garment's class and score a
lower FID than the L1 ablation's."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from conftest import eight_device_gaps, run_script, straight_and_resumed
from ganjax.data import padding, translation as tdata
from ganjax.data.pipeline import make_train_dataset
from ganjax.data.sources import data_source, dataset_spec
from ganjax.errors import ConfigError, DatasetNotFoundError
from ganjax.objectives.losses import least_squares
from ganjax.nn.image_pool import empty_pool, query_pool
from ganjax.objectives import translation_terms as terms
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate


def dataset(name):
  return ml_collections.ConfigDict(dict(name=name, source_dir=None, data_dir=None))


def tiny_pix2pix(**model):
  from experiments.configs import pix2pix_edges2fashion
  c = pix2pix_edges2fashion.get_config()
  c.model.update(dict(g_features=(8, 8, 16, 16, 16), d_features=(8, 16, 16), **model))
  c.batch_size, c.log_every, c.sample_every, c.checkpoint_every = 4, 2, 0, 2
  return c


# ------------------------------------------------------------------------------------- data

def test_edges2fashion_pairs_edge_maps_with_padded_fashion_mnist_and_keeps_labels():
  from ganjax.data.idx import find_idx_file, read_idx
  src = data_source(dataset("edges2fashion"), "test")
  images = read_idx(find_idx_file("/usr/share/datasets/fashion-mnist", "t10k-images-idx3-ubyte"))
  labels = read_idx(find_idx_file("/usr/share/datasets/fashion-mnist", "t10k-labels-idx1-ubyte"))
  assert len(src) == 10_000
  by_bytes = {img.tobytes(): int(y) for img, y in zip(images, labels)}
  for i in (0, 1, 9999):
    ex = src[i]
    assert ex["source"].shape == ex["target"].shape == (32, 32, 1)
    image = padding.crop_to_fashion_mnist(ex["target"])[..., 0]
    assert by_bytes[image.tobytes()] == int(ex["label"])  # a Fashion-MNIST test image, its label
    np.testing.assert_array_equal(padding.crop_to_fashion_mnist(ex["source"])[..., 0],
                                  tdata.edge_map(image))  # the edge map of that image
    assert set(np.unique(ex["source"])) <= {0, 255} and ex["target"][:2].max() == 0  # black border
  np.testing.assert_array_equal(padding.pad_to_32(images[:2, ..., None])[:, 2:30, 2:30, 0], images[:2])


def test_unpaired_domains_hold_their_classes_and_are_read_in_independent_orders():
  spec = dataset_spec("bag2shoe")
  assert spec.fields == ("a", "b", "label_a", "label_b")
  src = data_source(dataset("bag2shoe"), "train")
  assert {d: len(s) for d, s in src.domains.items()} == {"a": 6000, "b": 18000}
  ds = make_train_dataset(src, global_batch_size=16, seed=3, fields=spec.schema)
  it = iter(ds)
  batches = [next(it) for _ in range(3)]
  for b in batches:
    assert b["a"].shape == b["b"].shape == (16, 32, 32, 1) and b["a"].dtype == np.float32
    assert set(b["label_a"]) == {8} and set(b["label_b"]) <= {5, 7, 9}
  # Resumable: an iterator restored to batch 2 yields batch 2 again.
  again = iter(make_train_dataset(src, global_batch_size=16, seed=3, fields=spec.schema))
  again.set_state(it.get_state())
  np.testing.assert_array_equal(next(again)["b"], next(it)["b"])


def test_translation_dataset_without_fashion_mnist_names_the_package(tmp_path):
  cfg = ml_collections.ConfigDict(dict(name="sneaker2boot", source_dir=str(tmp_path / "none"),
                                       data_dir=str(tmp_path / "tfds")))
  with pytest.raises(DatasetNotFoundError, match="dataset-fashion-mnist"):
    data_source(cfg, "train")


# ------------------------------------------------------------------------- terms and buffer

def test_reconstruction_terms_and_patchgan_least_squares_equal_hand_computation():
  rng = np.random.default_rng(0)
  x, y = rng.uniform(-1, 1, (2, 4, 4, 1)), rng.uniform(-1, 1, (2, 4, 4, 1))
  xj, yj = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
  np.testing.assert_allclose(float(terms.l1(xj, yj)), np.abs(x - y).mean(), rtol=1e-6)
  np.testing.assert_allclose(float(terms.cycle(xj, yj)), np.abs(x - y).mean(), rtol=1e-6)
  np.testing.assert_allclose(float(terms.identity(xj, yj)), np.abs(x - y).mean(), rtol=1e-6)
  np.testing.assert_allclose(float(terms.squared(xj, yj)), ((x - y) ** 2).mean(), rtol=1e-6)
  real, fake = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 3))  # PatchGAN logit maps
  d, g = least_squares(jnp.asarray(real), jnp.asarray(fake))
  np.testing.assert_allclose(float(d), 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean(), rtol=1e-6)
  np.testing.assert_allclose(float(g), 0.5 * ((fake - 1) ** 2).mean(), rtol=1e-6)


def test_replay_buffer_fills_then_swaps_about_half_deterministically():
  pool = empty_pool(50, (2,))
  first = jnp.arange(50.0)[:, None] * jnp.ones((1, 2))
  out, pool = query_pool(pool, first, jax.random.key(0))
  np.testing.assert_array_equal(out, first)  # the first 50 fakes pass through and are stored
  np.testing.assert_array_equal(pool["images"], first)
  assert int(pool["count"]) == 50
  new = 1000.0 + jnp.arange(400.0)[:, None] * jnp.ones((1, 2))
  out, after = query_pool(pool, new, jax.random.key(1))
  swapped = np.asarray(out[:, 0] != new[:, 0])
  assert 0.4 < swapped.mean() < 0.6  # each later fake is swapped with probability 1/2
  # A swapped-out image is one stored before (an older fake), and the pool holds 50 images.
  assert set(np.asarray(out[swapped, 0])) <= set(range(50)) | set(np.asarray(new[:, 0]))
  assert after["images"].shape == (50, 2) and int(after["count"]) == 50
  out2, after2 = query_pool(pool, new, jax.random.key(1))  # the same key: the same result
  np.testing.assert_array_equal(out2, out)
  np.testing.assert_array_equal(after2["images"], after["images"])


# ---------------------------------------------------------------------------------- pix2pix

def test_pix2pix_losses_equal_hand_computation():
  exp = build_experiment(tiny_pix2pix())
  state = exp.init_state()
  obj, nets = exp.objective, exp.objective.nets
  rng = np.random.default_rng(2)
  batch = {"source": jnp.asarray(rng.uniform(-1, 1, (4, 32, 32, 1)), jnp.float32),
           "target": jnp.asarray(rng.uniform(-1, 1, (4, 32, 32, 1)), jnp.float32)}
  key = jax.random.key(5)
  fake = nets.apply(state, "g", batch["source"], train=True, key=key)[0]
  logits = lambda img: nets.apply(state, "d", jnp.concatenate([batch["source"], img], -1),
                                  train=True)[0].logits
  real_l, fake_l = np.asarray(logits(batch["target"]), np.float64), np.asarray(logits(fake), np.float64)
  sp = lambda v: np.logaddexp(0, v)
  l1 = np.abs(np.asarray(fake, np.float64) - np.asarray(batch["target"])).mean()
  g, (gm, _) = obj.g_loss({"g": state.params_of("g")}, state, batch, key)
  np.testing.assert_allclose(float(g), 100.0 * l1 + sp(-fake_l).mean(), rtol=1e-5)
  np.testing.assert_allclose(float(gm["l1"]), l1, rtol=1e-5)
  d, _ = obj.d_loss({"d": state.params_of("d")}, state, batch, key)
  np.testing.assert_allclose(float(d), 0.5 * (sp(-real_l).mean() + sp(fake_l).mean()), rtol=1e-5)
  assert real_l.shape == (4, 8, 8)  # a PatchGAN map per image


def test_pix2pix_refuses_unpaired_data_and_the_l1_ablation_trains_g_alone():
  c = tiny_pix2pix()
  c.dataset.name = "sneaker2boot"
  with pytest.raises(ConfigError, match="paired dataset"):
    build_experiment(c)
  exp = build_experiment(tiny_pix2pix(adversarial=False))
  assert [p.name for p in exp.objective.phases] == ["g"]  # D is never trained


def test_pix2pix_adversarial_term_reaches_the_generator():
  """G's gradient with D enabled minus its gradient under the L1 ablation (adversarial=False, the
  same parameters, batch and dropout key) is the gradient of the cGAN term composed by hand from
  G and D, and it is not zero: the critic's verdict on (source, G(source)) reaches G's weights. A
  G phase that ignored D, or read it through a detached G(source), would give a zero difference."""
  import dataclasses
  exp = build_experiment(tiny_pix2pix())
  state = exp.init_state()
  obj, nets = exp.objective, exp.objective.nets
  l1_only = dataclasses.replace(obj, adversarial=False)
  rng = np.random.default_rng(4)
  batch = {"source": jnp.asarray(rng.uniform(-1, 1, (4, 32, 32, 1)), jnp.float32),
           "target": jnp.asarray(rng.uniform(-1, 1, (4, 32, 32, 1)), jnp.float32)}
  key = jax.random.key(6)

  def adversarial_term(g):  # pix2pix's G term on D's maps of (source, target) and (source, G(source))
    fake = nets.apply(state, "g", batch["source"], params=g["g"], train=True, key=key)[0]
    logits = lambda img: nets.apply(state, "d", jnp.concatenate([batch["source"], img], -1),
                                    train=True)[0].logits
    return obj.loss(logits(batch["target"]), logits(fake))[1]

  @jax.jit
  def grads(g):
    loss = lambda o: (lambda p: o.g_loss(p, state, batch, key)[0])
    return jax.grad(loss(obj))(g), jax.grad(loss(l1_only))(g), jax.grad(adversarial_term)(g)

  with_d, without_d, by_hand = (np.concatenate([np.ravel(a) for a in jax.tree.leaves(t)])
                                for t in grads({"g": state.params_of("g")}))
  difference = with_d - without_d
  print(f"|grad with D - grad without| {np.linalg.norm(difference):.3e}, by hand "
        f"{np.linalg.norm(by_hand):.3e}, gap {np.linalg.norm(difference - by_hand):.1e}; "
        f"|grad without D| {np.linalg.norm(without_d):.3e}")
  assert np.linalg.norm(by_hand) > 1e-3 * np.linalg.norm(without_d), (
      np.linalg.norm(by_hand), np.linalg.norm(without_d))
  # Float32 sums of a gradient 100 L1 dominates: compared relative to the difference's own norm.
  assert np.linalg.norm(difference - by_hand) < 1e-2 * np.linalg.norm(by_hand), (
      np.linalg.norm(difference - by_hand), np.linalg.norm(by_hand))


def test_pix2pix_resumes_bit_for_bit(tmp_path):
  cfg = tiny_pix2pix()
  straight, resumed = straight_and_resumed(cfg, tmp_path)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)


_EIGHT_SETUP = """
from test_translation import tiny_pix2pix
# G without dropout: pmap mode draws dropout masks per device, not bit-equal to jit's.
MAKERS = [("pix2pix", lambda: tiny_pix2pix(dropout_rate=0.0))]
"""


@pytest.mark.slow
def test_pix2pix_on_eight_devices_matches_one():
  out = eight_device_gaps(_EIGHT_SETUP, steps=2)
  assert out["pix2pix"]["pmap8"] < 1e-4, out


# ----------------------------------------------------------------------------- translate.py

@pytest.fixture(scope="module")
def pix2pix_run(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp("p2p"))
  cfg = tiny_pix2pix()
  cfg.num_train_steps = 2
  train_and_evaluate(cfg, workdir)
  return workdir


def test_translate_writes_the_requested_shapes(pix2pix_run, tmp_path):
  x = np.random.default_rng(0).integers(0, 256, (3, 32, 32, 1), dtype=np.uint8)
  np.save(tmp_path / "x.npy", x)
  r = run_script(["experiments/translate.py", f"--workdir={pix2pix_run}", f"--input={tmp_path}/x.npy",
                  f"--out={tmp_path}/y.npy"])
  assert r.returncode == 0, r.stderr[-2000:]
  y = np.load(tmp_path / "y.npy")
  assert y.shape == (3, 32, 32, 1) and y.dtype == np.uint8
  r = run_script(["experiments/translate.py", f"--workdir={pix2pix_run}", "--split=test", "--num=5",
                  f"--out={tmp_path}/t.npz"])
  assert r.returncode == 0, r.stderr[-2000:]
  t = np.load(tmp_path / "t.npz")
  assert t["inputs"].shape == t["outputs"].shape == (5, 32, 32, 1) and t["labels"].shape == (5,)
  first = data_source(dataset("edges2fashion"), "test").__getitems__(list(range(5)))
  np.testing.assert_array_equal(t["labels"], [int(e["label"]) for e in first])
  np.testing.assert_array_equal(t["inputs"], np.stack([e["source"] for e in first]))
  r = run_script(["experiments/translate.py", f"--workdir={pix2pix_run}", "--split=test", "--num=4",
                  f"--out={tmp_path}/pairs.png"])
  assert r.returncode == 0, r.stderr[-2000:]
  from PIL import Image
  assert Image.open(tmp_path / "pairs.png").size[0] > Image.open(tmp_path / "pairs.png").size[1]


@pytest.mark.parametrize("args, message", [
    (["--direction=b2a", "--split=test"], r"translates \['a2b'\] only"),
    (["--input={tmp}/small.npy"], "uint8 \\[N, 32, 32, 1\\]"),
    (["--input={tmp}/rgb.npy"], "uint8 \\[N, 32, 32, 1\\]"),
])
def test_translate_refuses_wrong_inputs_and_directions(pix2pix_run, tmp_path, args, message):
  np.save(tmp_path / "small.npy", np.zeros((2, 28, 28, 1), np.uint8))
  np.save(tmp_path / "rgb.npy", np.zeros((2, 32, 32, 3), np.uint8))
  args = [a.format(tmp=tmp_path) for a in args]
  out = f"--out={tmp_path}/o.npz" if "--split=test" in args else f"--out={tmp_path}/o.npy"
  r = run_script(["experiments/translate.py", f"--workdir={pix2pix_run}", *args, out])
  assert r.returncode != 0
  import re
  assert re.search(message, r.stderr), r.stderr[-2000:]
  assert "Traceback" not in r.stderr


# ------------------------------------------------------------------------------- learning

def _pix2pix_run(workdir: str, adversarial: bool):
  """(experiment, state) of the learning tests' pix2pix (G 16-64, D 16-32 channels, batch 16) after
  PIX2PIX_STEPS steps, restored from its workdir as evaluate.py would."""
  from ganjax.train.restore import restore_run
  cfg = tiny_pix2pix(adversarial=adversarial)
  cfg.model.update(dict(g_features=(16, 32, 64, 64, 64), d_features=(16, 32, 32)))
  cfg.batch_size, cfg.num_train_steps, cfg.checkpoint_every = 16, PIX2PIX_STEPS, PIX2PIX_STEPS
  cfg.log_every = 100
  train_and_evaluate(cfg, workdir)
  return restore_run(workdir)


PIX2PIX_STEPS = 800


@pytest.mark.slow
def test_pix2pix_keeps_the_garment_class_and_beats_l1_alone(tmp_path):
  """One run with D and one without (the paper's L1 ablation), translating 500 test edge maps.
  With D: the shipped classifier reads most translations as their garment's class, and the
  structure (SSIM) rises far from the untrained G's. Against L1 alone: a lower FID of the
  translations to the held-out targets in the classifier's features, the README's measure (5.89
  vs 19.24 at 2000 steps, BENCHMARKS.md "pix2pix").

  Why FID: L1 alone converges to the conditional median, a blur, and FID in the classifier's
  features, which reads shapes and textures, is what separates it early: measured (seed 0,
  500 inputs) 155 vs 170 at 300 steps, 74 vs 94 at 600, 36 vs 65 at 1000; L1 distance and SSIM
  stay within 3% of each other at every budget (both favour the blur), and the images' gradient
  energy relative to the targets' (0.48 vs 0.41 at 1000 steps) separates later and by less."""
  from ganjax.metrics.features import build_feature_net
  from ganjax.metrics.translation import translation_scores
  net = build_feature_net("fashion_mnist_cnn")
  exp, state = _pix2pix_run(str(tmp_path / "gan"), adversarial=True)
  before = translation_scores(exp, exp.init_state(), net, num=500)
  after = translation_scores(exp, state, net, num=500)
  l1_alone = translation_scores(*_pix2pix_run(str(tmp_path / "l1"), adversarial=False), net, num=500)
  print(f"pix2pix {PIX2PIX_STEPS} steps, 500 test inputs: untrained {before}, adversarial + L1 "
        f"{after}, L1 alone {l1_alone}")
  assert after["a2b/accuracy"] > before["a2b/accuracy"] + 0.4, (before, after)
  assert after["a2b/ssim"] > before["a2b/ssim"] + 0.2, (before, after)
  # Measured (2026-12-07, 800 steps): FID 59.1 vs 78.7 for L1 alone (0.75x); accuracy 0.728 vs
  # 0.722, SSIM 0.517 vs 0.516 (both favour the blur, as the docstring says).
  assert after["a2b/fid"] < 0.85 * l1_alone["a2b/fid"], (after, l1_alone)
