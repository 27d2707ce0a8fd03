"""Super-resolution (ganjax/families/superres, issue 32) on fashion_mnist_sr4: the data, the losses
and metrics against hand computations, the networks' shapes, the two-stage game's exact resume
across the MSE -> adversarial switch and its 8-device equality, SRResNet learning past bicubic,
and the evaluate.py / upscale.py paths on a trained run."""

import json
import os

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from conftest import eight_device_gaps, run_script, straight_and_resumed

from experiments.configs import esrgan_fashion_mnist, srgan_fashion_mnist, srresnet_fashion_mnist
from ganjax.errors import ConfigError
from ganjax.families.superres.networks import ClassifierFeatures, RRDBNet, SRResNet, VGGCritic
from ganjax.families.superres.objective import feature_content
from ganjax.metrics import superres as sr
from ganjax.objectives.losses import get_loss

CONFIGS = {"srresnet": srresnet_fashion_mnist, "srgan": srgan_fashion_mnist,
           "esrgan": esrgan_fashion_mnist}


def tiny(name: str, steps: int = 20, mse_steps: int | None = None) -> ml_collections.ConfigDict:
  """A config of `name` small enough for a test: 2 blocks of 8 channels, a 2-level critic."""
  c = CONFIGS[name].get_config()
  c.model.g_blocks, c.model.g_features = 2, 8
  if "g_growth" in c.model:
    c.model.g_growth = 8
  if c.model.adversarial:
    c.model.d_features, c.model.d_dense = (8, 16), 32
    c.model.mse_steps = c.optimizers.d.start_step = steps // 2 if mse_steps is None else mse_steps
  c.batch_size, c.num_train_steps, c.log_every, c.sample_every = 8, steps, 1, 0
  c.checkpoint_every = steps
  c.optimizers.g.learning_rate = 1e-3
  return c


def _split(name: str, n: int) -> dict:
  from ganjax.data.pipeline import read_examples
  from ganjax.data.sources import data_source
  cfg = ml_collections.ConfigDict(dict(name="fashion_mnist_sr4", source_dir=None, data_dir=None))
  return read_examples(data_source(cfg, name), np.arange(n))


def test_lr_is_pillow_bicubic_of_hr_and_the_schema_has_both_shapes():
  from PIL import Image
  from ganjax.data.sources import dataset_spec
  spec = dataset_spec("fashion_mnist_sr4")
  assert spec.fields == ("hr", "lr", "label") and spec.data_field == "hr"
  assert spec.field("hr").shape == (28, 28, 1) and spec.field("lr").shape == (7, 7, 1)
  assert spec.field("lr").role == "lowres" and spec.feature_net == "fashion_mnist_cnn"
  for split, size in (("train", 60000), ("test", 10000)):
    ex = _split(split, 5)
    assert ex["hr"].shape == (5, 28, 28, 1) and ex["lr"].shape == (5, 7, 7, 1)
    assert ex["hr"].dtype == ex["lr"].dtype == np.uint8
    for hr, lr in zip(ex["hr"], ex["lr"]):
      want = np.asarray(Image.fromarray(hr[..., 0]).resize((7, 7), Image.BICUBIC))
      np.testing.assert_array_equal(lr[..., 0], want)
    assert ex["hr"].std() > 20 and not np.array_equal(ex["hr"][0], ex["hr"][1])  # real images
  # The test split is Fashion-MNIST's own (tfds stores it in its own shuffled order).
  from ganjax.data.idx import read_idx
  idx = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
  test = _split("test", 10000)["hr"][..., 0]
  np.testing.assert_array_equal(np.sort(test.reshape(10000, -1).sum(1)),
                                np.sort(idx.reshape(10000, -1).sum(1, dtype=np.int64)))


def test_ragan_and_content_losses_match_hand_computations():
  rng = np.random.default_rng(0)
  r, f = rng.normal(size=6), rng.normal(size=6) - 1.0
  sp = lambda x: np.log1p(np.exp(x))
  d, g = get_loss("relativistic_average")(jnp.asarray(r), jnp.asarray(f))
  # ESRGAN Eq. 1-2: D_Ra(a, b) = sigmoid(C(a) - E[C(b)]); L_D = -E log D_Ra(r, f) - E log(1 - D_Ra(f, r)).
  sig = lambda x: 1 / (1 + np.exp(-x))
  want_d = -np.mean(np.log(sig(r - f.mean()))) - np.mean(np.log(1 - sig(f - r.mean())))
  want_g = -np.mean(np.log(1 - sig(r - f.mean()))) - np.mean(np.log(sig(f - r.mean())))
  np.testing.assert_allclose([float(d), float(g)], [want_d, want_g], rtol=1e-5)
  np.testing.assert_allclose(want_d, np.mean(sp(-(r - f.mean()))) + np.mean(sp(f - r.mean())))
  # Feature content: mean((s phi(x) - s phi(y))^2), here with phi = 2x + 1 and s = 1/12.75.
  x, y = rng.normal(size=(2, 4, 4, 1)), rng.normal(size=(2, 4, 4, 1))
  got = feature_content(lambda v: 2 * v + 1, jnp.asarray(x), jnp.asarray(y), 1 / 12.75)
  np.testing.assert_allclose(float(got), np.mean(((2 * x - 2 * y) / 12.75) ** 2), rtol=1e-5)


def test_psnr_ssim_on_y_with_the_border_cut_match_hand_computations():
  a = np.full((2, 12, 12, 1), 100, np.uint8)
  b = a.copy()
  b[:, 4:8, 4:8] += 10  # MSE on the centre 4x4 after a 4-px cut: 100
  b[:, 0, :] = 0  # the border is not read
  np.testing.assert_allclose(sr.psnr(a, b, border=4), 10 * np.log10(255 ** 2 / 100.0))
  assert sr.psnr(a, b, border=0) < sr.psnr(a, b, border=4)
  assert sr.psnr(a, a, border=4) == 100.0 and sr.ssim(a, a, border=2) == pytest.approx(1.0)
  rgb = np.random.default_rng(1).integers(0, 256, (1, 4, 4, 3), dtype=np.uint8)
  y = sr.luminance(rgb)[0, 1, 2, 0]
  r, g, bl = rgb[0, 1, 2].astype(float)
  np.testing.assert_allclose(y, 16 + (65.481 * r + 128.553 * g + 24.966 * bl) / 255)
  # A colour difference that leaves Y unchanged costs no PSNR: the papers score Y only.
  assert sr.psnr(rgb, rgb, border=0) == 100.0


def test_networks_output_shapes_and_the_content_network_reads_the_shipped_weights():
  lr = jnp.zeros((2, 7, 7, 1))
  for g in (SRResNet(1, 8, 2, 2), RRDBNet(1, 8, 4, 1, 2), SRResNet(3, 8, 1, 1)):
    x = lr if g.channels == 1 else jnp.zeros((2, 7, 7, 3))
    variables = g.init(jax.random.PRNGKey(0), x, train=False)
    out = g.apply(variables, x, train=False)
    assert out.shape == (2, 7 * 2 ** g.upsamplers, 7 * 2 ** g.upsamplers, g.channels)
  d = VGGCritic((8, 16), 32)
  v = d.init(jax.random.PRNGKey(0), jnp.zeros((2, 28, 28, 1)), train=False)
  assert d.apply(v, jnp.zeros((3, 28, 28, 1)), train=False).logits.shape == (3,)
  from ganjax.metrics import classifier
  params, _ = classifier.load_weights()
  conv = {"params": {k: v for k, v in params.items() if k.startswith("Conv_")}}
  hr = jnp.asarray(_split("test", 4)["hr"], jnp.float32) / 127.5 - 1
  pre = ClassifierFeatures(preactivation=True).apply(conv, hr, train=False)
  post = ClassifierFeatures().apply(conv, hr, train=False)
  assert pre.shape == post.shape == (4, 7, 7, 64)
  np.testing.assert_allclose(post, jax.nn.relu(pre), atol=1e-6)
  assert float(jnp.mean(pre < 0)) > 0.1  # the pre-activation features carry the negative side


def test_a_two_stage_game_needs_the_critic_optimizer_to_start_at_the_switch():
  from ganjax.train.experiment import build_experiment
  c = tiny("srgan")
  c.optimizers.d.start_step = None
  with pytest.raises(ConfigError, match=r"--config.optimizers.d.start_step=10"):
    build_experiment(c)
  c = tiny("srresnet")
  c.dataset.name = "fashion_mnist"
  with pytest.raises(ConfigError, match=r"needs a super-resolution dataset"):
    build_experiment(c)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["srgan", "esrgan"])
def test_resume_across_the_mse_to_adversarial_switch_is_bit_exact(name, tmp_path):
  """20 steps, switch at step 13, checkpoint at 10: the resumed process crosses the switch."""
  cfg = tiny(name, mse_steps=13)
  straight, resumed = straight_and_resumed(cfg, tmp_path, steps=20)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)
  from ganjax.train.experiment import build_experiment
  start = jax.device_get(build_experiment(cfg).init_state())
  rows = [json.loads(line) for line in open(tmp_path / "straight" / "metrics.jsonl") if '"step"' in line]
  phase = {r["step"]: r["adversarial_phase"] for r in rows if "adversarial_phase" in r}
  assert phase[13] == 0.0 and phase[14] == 1.0 and phase[20] == 1.0  # row of step s: update s-1
  assert all(r["d_loss"] == 0.0 for r in rows if r.get("adversarial_phase") == 0.0)
  # D has moved from its initialisation only after the switch, and the inner Adam counted 7 updates.
  for a, b in zip(jax.tree.leaves(straight.players["d"].params),
                  jax.tree.leaves(start.players["d"].params)):
    assert not np.array_equal(a, b)
  counts = [int(x) for x in jax.tree.leaves(straight.players["d"].opt_state) if np.ndim(x) == 0]
  assert sorted(set(counts)) == [7, 20], counts
  assert int(straight.extras["nonfinite"]["total"]) == 0


@pytest.mark.slow
def test_both_stages_on_eight_devices_match_one():
  setup = """
from experiments.configs import srgan_fashion_mnist, esrgan_fashion_mnist
from test_superres import tiny
MAKERS = [(n, (lambda n=n: tiny(n, steps=4, mse_steps=2))) for n in ("srgan", "esrgan")]
"""
  out = eight_device_gaps(setup, steps=4)
  for name in ("srgan", "esrgan"):
    assert out[name]["pmap8"] < 1e-4, out


# SRResNet against bicubic on the first 500 test images after 300 steps of batch 16 at lr 1e-3
# (4 blocks of 16 channels; 23 s of training on the shared 2-core CPU). Measured (2026-12-07):
# PSNR 16.48 dB against bicubic's 15.47 dB (+1.01), SSIM 0.491 against 0.452; the untrained G
# scores 7.23 dB. The bar asks for +0.6 dB, which the untrained G fails.
LEARN_STEPS, LEARN_MARGIN_DB = 300, 0.6


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  from ganjax.train.loop import train_and_evaluate
  c = tiny("srresnet", steps=LEARN_STEPS)
  c.model.g_blocks, c.model.g_features, c.batch_size, c.log_every = 4, 16, 16, 100
  c.checkpoint_every = LEARN_STEPS
  workdir = str(tmp_path_factory.mktemp("srresnet") / "run")
  state = train_and_evaluate(c, workdir)
  return workdir, state


def _scores(workdir, state, metrics="psnr,ssim,fid,bicubic", num=500):
  from ganjax.metrics.registry import Source, resolve
  from ganjax.metrics.scorer import Scorer
  from ganjax.train.restore import restore_run
  exp, _ = restore_run(workdir)
  source = Source(exp=exp)
  return Scorer(resolve(metrics, source), source, exp.config.dataset, num=num)(state)[0], exp


@pytest.mark.slow
def test_srresnet_beats_bicubic_psnr_on_the_test_split(trained):
  workdir, state = trained
  scores, exp = _scores(*trained)
  assert scores["num_samples"] == 500
  assert scores["psnr"] > scores["bicubic/psnr"] + LEARN_MARGIN_DB, scores
  assert scores["ssim"] > scores["bicubic/ssim"], scores
  untrained, _ = _scores(workdir, exp.init_state(), "psnr")
  assert untrained["psnr"] < untrained["bicubic/psnr"] + LEARN_MARGIN_DB, untrained
  # Periodic evaluation and evaluate.py default to the SR metrics on an SR run.
  from ganjax.metrics.registry import Source, default_metrics
  assert {"fid", "psnr", "ssim", "bicubic"} <= set(default_metrics(Source(exp=exp)))


@pytest.mark.slow
def test_evaluate_and_upscale_clis_on_a_trained_run(trained, tmp_path):
  workdir, _ = trained
  r = run_script(["experiments/evaluate.py", f"--workdir={workdir}", "--metrics=psnr,ssim,fid",
                  "--num_samples=200"])
  assert r.returncode == 0, r.stderr[-2000:]
  for column in ("psnr", "bicubic/psnr", "ssim", "bicubic/ssim", "fid"):
    assert f"\n{column} " in r.stdout, r.stdout
  lr = _split("test", 3)["lr"]
  np.save(tmp_path / "lr.npy", lr)
  np.save(tmp_path / "hr.npy", _split("test", 3)["hr"])
  r = run_script(["experiments/upscale.py", f"--workdir={workdir}", f"--input={tmp_path}/lr.npy",
                  f"--out={tmp_path}/sr.npy", f"--compare={tmp_path}/rows.png",
                  f"--hr={tmp_path}/hr.npy"])
  assert r.returncode == 0, r.stderr[-2000:]
  out = np.load(tmp_path / "sr.npy")
  assert out.shape == (3, 28, 28, 1) and out.dtype == np.uint8
  from PIL import Image
  assert Image.open(tmp_path / "rows.png").size == ((4 * 30 + 2) * 4, (3 * 30 + 2) * 4)
  Image.fromarray(lr[0, ..., 0]).save(tmp_path / "one.png")
  r = run_script(["experiments/upscale.py", f"--workdir={workdir}", f"--input={tmp_path}/one.png",
                  f"--out={tmp_path}/one_sr.png"])
  assert r.returncode == 0 and Image.open(tmp_path / "one_sr.png").size == (28, 28), r.stderr[-2000:]
  np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "one_sr.png")), out[0, ..., 0])
  np.save(tmp_path / "rgb.npy", np.zeros((2, 7, 7, 3), np.uint8))
  np.save(tmp_path / "big.npy", np.zeros((2, 28, 28, 1), np.uint8))
  for bad, message in (("rgb.npy", r"got uint8 of shape \(2, 7, 7, 3\), but the model upscales "
                                   r"uint8 \[N, 7, 7, 1\] images .* It has 3 channel\(s\); the "
                                   r"model takes 1 \(grey\)"),
                       ("big.npy", r"got uint8 of shape \(2, 28, 28, 1\), but the model upscales "
                                   r"uint8 \[N, 7, 7, 1\]")):
    r = run_script(["experiments/upscale.py", f"--workdir={workdir}", f"--input={tmp_path}/{bad}",
                    f"--out={tmp_path}/x.npy"])
    assert r.returncode != 0 and __import__("re").search(message, r.stderr), r.stderr[-2000:]
  before = sorted(os.listdir(workdir))
  r = run_script(["experiments/upscale.py", f"--workdir={workdir}", f"--input={tmp_path}/lr.npy",
                  f"--out={workdir}/sr.npy"])
  assert r.returncode != 0 and "never writes into a run's workdir" in r.stderr
  assert sorted(os.listdir(workdir)) == before
