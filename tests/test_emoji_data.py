"""The colour emoji32 and the padded fashion_mnist32 datasets, and the feature networks that score
them: emoji32_cnn (shipped, trained on emoji32's emoji groups) and fashion_mnist_cnn reading the
padded images by their centre 28x28."""

import ml_collections
import numpy as np
import pytest

from ganjax.data import emoji, sources
from ganjax.data.emoji_groups import GROUPS, emoji_groups
from ganjax.errors import ConfigError, DatasetNotFoundError
from ganjax.metrics import classifier
from ganjax.metrics import fid as fid_lib
from ganjax.metrics.data import load_split
from ganjax.metrics.eval_config import check_eval_config, feature_net_for, reference_split
from ganjax.metrics.features import accepts_shape, build_feature_net
from ganjax.metrics.summary import MomentAccumulator


def _cfg(name):
  return ml_collections.ConfigDict(dict(name=name, source_dir=None, data_dir=None))


EMOJI, FASHION, FASHION32 = _cfg("emoji32"), _cfg("fashion_mnist"), _cfg("fashion_mnist32")
SMILE, DOG, PIZZA, BALL, CAR, PHONE, RECYCLE, THUMB, FLAG = (
    0x1F600, 0x1F436, 0x1F355, 0x26BD, 0x1F697, 0x1F4F1, 0x267B, 0x1F44D, 0x1F3C1)


@pytest.fixture(scope="module")
def font():
  return emoji.load_font()


@pytest.fixture(scope="module")
def emoji_splits():
  return load_split(EMOJI, "train"), load_split(EMOJI, "test")


def test_rendering_is_deterministic_and_crops_to_the_glyph(font):
  for codepoint in (SMILE, PIZZA, RECYCLE):
    first, second = emoji.render(font, codepoint), emoji.render(font, codepoint)
    assert first.shape == (32, 32, 3) and first.dtype == np.uint8
    assert first.tobytes() == second.tobytes()
  smile = emoji.render(font, SMILE)
  ink = np.argwhere((smile < 250).any(-1))
  # The face's bounding box fills the square: ink on the top and bottom rows (it is taller than
  # wide), white corners outside the round face, and it is coloured (yellow: red, green >> blue).
  assert ink[:, 0].min() == 0 and ink[:, 0].max() == 31
  assert (smile[[0, 0, 31, 31], [0, 31, 0, 31]] == 255).all()
  r, g, b = smile[16, 8].astype(int)
  assert r > 200 and g > 150 and b < 100
  assert emoji.render(font, ord("A")) is None  # the font has no Latin letters: nothing drawn


def test_group_table_holds_single_codepoint_emoji_only():
  table = emoji_groups()
  assert len(table) == 1377 and GROUPS[0] == "Smileys & Emotion" and len(GROUPS) == 8
  expected = {SMILE: "Smileys & Emotion", THUMB: "People & Body", DOG: "Animals & Nature",
              PIZZA: "Food & Drink", CAR: "Travel & Places", BALL: "Activities", PHONE: "Objects",
              RECYCLE: "Symbols", FLAG: "Symbols"}  # emoji-test.txt; the chequered flag folded
  assert {c: GROUPS[table[c]] for c in expected} == expected
  not_emoji = [*map(ord, "0123456789#*"), *range(0x1F1E6, 0x1F200),  # keycap bases, regional letters
               *range(0x1F3FB, 0x1F400), *range(0x1F9B0, 0x1F9B4)]  # skin tones, hair components
  assert not set(not_emoji) & set(table)


def test_every_emoji_the_font_maps_is_in_the_table(font):
  ttlib = pytest.importorskip("fontTools.ttLib")
  cmap = set(ttlib.TTFont(font.path, lazy=True).getBestCmap())
  assert set(emoji_groups()) <= cmap
  # Joiner, keycap, VS16, regional letters, skin tones, hair components, tag letters.
  components = {0x200D, 0x20E3, 0xFE0F, *range(0x1F1E6, 0x1F200), *range(0x1F3FB, 0x1F400),
                *range(0x1F9B0, 0x1F9B4), *range(0xE0020, 0xE0080)}
  rest = sorted(c for c in cmap - set(emoji_groups()) - components
                if c > 0x7F and not 0xF0000 <= c <= 0xFFFFD)  # past ASCII and private use
  assert rest == []


def test_prepared_splits_are_the_rendered_glyphs(emoji_splits):
  (train, y_train), (test, y_test) = emoji_splits
  assert train.shape == (1240, 32, 32, 3) and test.shape == (137, 32, 32, 3)
  assert train.dtype == np.uint8 and y_train.min() >= 0 and y_train.max() == len(GROUPS) - 1
  assert sorted(np.unique(y_test)) == list(range(len(GROUPS)))
  rendered = list(emoji.glyphs())
  assert [g[3] for g in rendered[:10]] == ["train"] * 9 + ["test"]  # every 10th is held out
  for split, images, labels in (("train", train, y_train), ("test", test, y_test)):
    fresh = sorted((image.tobytes(), group) for _, image, group, s in rendered if s == split)
    stored = sorted((image.tobytes(), int(label)) for image, label in zip(images, labels))
    assert fresh == stored  # the same bytes as a render now: the build is deterministic


def test_missing_font_names_the_package_and_the_fix(tmp_path):
  with pytest.raises(DatasetNotFoundError) as err:
    sources.check_source("emoji32", str(tmp_path))
  for words in ("NotoColorEmoji.ttf", str(tmp_path), "fonts-noto-color-emoji", "make data",
                "sudo apt-get install fonts-noto-color-emoji"):
    assert words in str(err.value)
  with pytest.raises(DatasetNotFoundError, match="fonts-noto-color-emoji"):
    emoji.load_font(str(tmp_path))
  with pytest.raises(DatasetNotFoundError, match=f"NotoColorEmoji.ttf not found in {tmp_path}"):
    sources.prepare(ml_collections.ConfigDict(dict(name="emoji32", source_dir=str(tmp_path),
                                                   data_dir=str(tmp_path / "tfds"))))


def test_fashion_mnist32_is_fashion_mnist_zero_padded():
  padded, labels32 = load_split(FASHION32, "test", limit=500)
  images, labels = load_split(FASHION, "test", limit=500)
  assert padded.shape == (500, 32, 32, 1) and padded.dtype == np.uint8
  np.testing.assert_array_equal(padded[:, 2:30, 2:30], images)
  np.testing.assert_array_equal(labels32, labels)
  border = np.ones((32, 32), bool)
  border[2:30, 2:30] = False
  assert not padded[:, border].any()
  assert sources.dataset_spec("fashion_mnist32").shape == (32, 32, 1)


def test_fashion_mnist_cnn_reads_padded_images_by_their_centre():
  net = build_feature_net("fashion_mnist_cnn")
  images, _ = load_split(FASHION, "test", limit=50)
  padded, _ = load_split(FASHION32, "test", limit=50)
  for a, b in zip(net(images), net(padded)):
    np.testing.assert_array_equal(a, b)
  assert accepts_shape("fashion_mnist_cnn", (32, 32, 1))
  assert not accepts_shape("fashion_mnist_cnn", (32, 32, 3))
  with pytest.raises(Exception, match=r"\(28, 28, 1\) or \(32, 32, 1\)"):
    net(np.zeros((2, 30, 30, 1), np.uint8))


def test_each_dataset_names_its_feature_network_and_reference_split():
  assert [feature_net_for(d) for d in ("fashion_mnist", "fashion_mnist32", "emoji32", "mnist")] == [
      "fashion_mnist_cnn", "fashion_mnist_cnn", "emoji32_cnn", "fashion_mnist_cnn"]
  assert feature_net_for("emoji32", "inception_v3") == "inception_v3"  # a named one wins
  with pytest.raises(ConfigError, match="'digits'.*no default feature network.*eval_feature_net"):
    feature_net_for("digits")
  assert [reference_split(d) for d in ("fashion_mnist", "emoji32")] == ["test", "train"]
  assert reference_split("emoji32", "test") == "test"
  # A training config's periodic evaluation takes the dataset's network unless it names one.
  from experiments.configs import base
  config = base.get_config()
  config.dataset.name, config.eval_every = "emoji32", 10
  assert config.eval_feature_net is None
  check_eval_config(config)
  config.eval_feature_net = "fashion_mnist_cnn"
  with pytest.raises(ConfigError, match=r"takes images of shape \(28, 28, 1\).*'emoji32'"):
    check_eval_config(config)


def _moments(features):
  acc = MomentAccumulator()
  acc.add(features)
  return acc.moments()


def _fid(net, a, b):
  return fid_lib.frechet_distance(*_moments(net(a)[0]), *_moments(net(b)[0]))


def test_emoji32_cnn_classifies_held_out_emoji_as_its_record_says(emoji_splits):
  net = build_feature_net("emoji32_cnn")
  _, (test, y_test) = emoji_splits
  features, logits = net(test)
  assert features.shape == (137, classifier.FEATURE_DIM) and logits.shape == (137, len(GROUPS))
  accuracy = float(np.mean(logits.argmax(1) == y_test))
  record = classifier.load_record(net=classifier.EMOJI32)
  assert record["test_accuracy"] == pytest.approx(accuracy, abs=1e-6)
  assert record["weights_sha256"] == net.weights_hash
  assert accuracy > 3 / len(GROUPS)  # chance: 1/8 (the largest group, Objects, is 18%)


def test_emoji_fid_separates_held_out_emoji_from_corrupted_ones(emoji_splits):
  # FID against the train split (emoji32's reference), each side of 137 images: the held-out
  # emoji vs the same 137 blurred, colour-shifted, grey or noisy. Measured with the shipped
  # weights: clean 24.8 (137 train images drawn at random: 18.2, the small-N floor), Gaussian
  # blur sigma 1: 96, channels rotated: 142, grey: 156, noise sigma 48: 110 (sigma 16: 28, so
  # mild pixel noise is barely seen; /work/notes/emoji_metrics.md).
  from scipy.ndimage import gaussian_filter
  net = build_feature_net("emoji32_cnn")
  (train, _), (test, _) = emoji_splits
  reference = _moments(net(train)[0])

  def fid(images):
    return fid_lib.frechet_distance(*reference, *_moments(net(images)[0]))

  def to_uint8(x):
    return np.clip(np.round(x), 0, 255).astype(np.uint8)

  clean = fid(test)
  blurred = fid(to_uint8(gaussian_filter(test.astype(np.float64), (0, 1, 1, 0))))
  rotated = fid(test[..., [1, 2, 0]])
  grey = fid(to_uint8(np.repeat(test @ np.array([0.299, 0.587, 0.114]), 3).reshape(test.shape)))
  noisy = fid(to_uint8(test + np.random.default_rng(0).normal(0, 48, test.shape)))
  print(f"\nFID vs train: test {clean:.1f}, blurred {blurred:.1f}, channels rotated {rotated:.1f}, "
        f"grey {grey:.1f}, noise 48: {noisy:.1f}")
  assert 5 < clean < 50
  assert blurred > 3 * clean and rotated > 4 * clean and grey > 4 * clean and noisy > 3 * clean


def test_evaluate_defaults_to_the_datasets_network_and_split(emoji_splits, tmp_path):
  from ganjax.metrics.scoring import score
  (train, _), (test, y_test) = emoji_splits
  np.save(tmp_path / "test.npy", test)
  np.save(tmp_path / "labels.npy", y_test)
  row = score(metrics="fid,cacc", samples=str(tmp_path / "test.npy"), labels=str(tmp_path / "labels.npy"),
              dataset="emoji32", cache_dir=str(tmp_path))
  assert (row["feature_net"], row["split"]) == ("emoji32_cnn", "train")
  net = build_feature_net("emoji32_cnn")
  assert row["eval/fid"] == pytest.approx(_fid(net, train, test), rel=1e-9)
  # cacc reads the samples with the dataset's classifier: on real test images, its test accuracy.
  record = classifier.load_record(net=classifier.EMOJI32)
  per_class = [np.mean(net(test[y_test == c])[1].argmax(1) == c) for c in range(len(GROUPS))]
  assert row["eval/conditional_accuracy"] == pytest.approx(np.mean(per_class))
  assert 0.3 < row["eval/conditional_accuracy"] and 0.3 < record["test_accuracy"]
  named = score(metrics="fid", samples=str(tmp_path / "test.npy"), dataset="emoji32", split="test",
                cache_dir=str(tmp_path))
  assert (named["split"], named["eval/fid"]) == ("test", pytest.approx(0.0, abs=1e-6))


def test_fashion_mnist32_scores_through_the_fashion_classifier(tmp_path):
  # Padded samples scored against fashion_mnist32 give exactly the scores of the unpadded ones
  # against fashion_mnist: the shipped CNN reads the centre 28x28, for FID, ifid and cacc alike.
  from ganjax.metrics.scoring import score
  padded, labels = load_split(FASHION32, "test", limit=1000)
  images, _ = load_split(FASHION, "test", limit=1000)
  rows = []
  for name, x in (("fashion_mnist32", padded), ("fashion_mnist", images)):
    np.save(tmp_path / f"{name}.npy", x)
    np.save(tmp_path / "y.npy", labels)
    rows.append(score(metrics="fid,ifid,cacc", samples=str(tmp_path / f"{name}.npy"),
                      labels=str(tmp_path / "y.npy"), dataset=name, cache_dir=str(tmp_path)))
  assert (rows[0]["feature_net"], rows[0]["split"]) == ("fashion_mnist_cnn", "test")
  assert "notes" not in rows[0]
  for key in ("eval/fid", "eval/intra_class_fid", "eval/conditional_accuracy"):
    assert rows[0][key] == pytest.approx(rows[1][key], rel=1e-9)
  assert 0.85 < rows[0]["eval/conditional_accuracy"] < 0.95  # real images: the CNN's ~90%


@pytest.mark.slow
def test_classifier_training_augments_by_shifts_and_flips(emoji_splits):
  from experiments import train_classifier
  (train, labels), _ = emoji_splits
  batch = train[:16]
  out = train_classifier.augment(batch, np.random.default_rng(0), shift=2, flip=True)
  assert out.shape == batch.shape and out.dtype == np.uint8
  padded = np.pad(batch, [(0, 0), (2, 2), (2, 2), (0, 0)], mode="edge")
  for image, source in zip(out, padded):  # a 32x32 window of the edge-padded image, maybe mirrored
    windows = [source[y:y + 32, x:x + 32] for y in range(5) for x in range(5)]
    assert any(np.array_equal(image, w) or np.array_equal(image, w[:, ::-1]) for w in windows)
  assert not np.array_equal(out, batch)
  np.testing.assert_array_equal(train_classifier.augment(batch, np.random.default_rng(0), 0, False), batch)
  # One short epoch trains the emoji network's shape end to end.
  params = train_classifier.train(train[:128], labels[:128], seed=0, epochs=1, batch_size=64,
                                  learning_rate=1e-3, net=classifier.EMOJI32, shift=2, flip=True)
  logits = classifier.make_apply(params, classifier.EMOJI32)(train[:4])[1]
  assert logits.shape == (4, len(GROUPS)) and np.isfinite(np.asarray(logits)).all()
