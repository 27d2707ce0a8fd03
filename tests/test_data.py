"""Datasets: IDX parsing, tfds builders from local files, and the grain pipeline."""

import gzip
import os

import ml_collections
import numpy as np
import pytest

from ganjax.data.schema import image_fields
from ganjax.data import idx, pipeline, sources
from ganjax.errors import DataFormatError, DatasetNotFoundError


def _write_idx(path, array, gz):
  header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
  with (gzip.open if gz else open)(path, "wb") as f:
    f.write(header + array.astype(np.uint8).tobytes())


def _fake_mnist_dir(root, n_train=40, n_test=10):
  os.makedirs(root, exist_ok=True)
  rng = np.random.default_rng(0)
  data = {}
  for split, n, gz in (("train", n_train, True), ("t10k", n_test, False)):
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    _write_idx(os.path.join(root, f"{split}-images-idx3-ubyte{suffix}"), images, gz)
    _write_idx(os.path.join(root, f"{split}-labels-idx1-ubyte{suffix}"), labels, gz)
    data[split] = (images, labels)
  return data


def test_read_idx_roundtrip_and_corruption(tmp_path):
  a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  for gz in (False, True):
    p = str(tmp_path / f"a{gz}.idx")
    _write_idx(p, a, gz)
    np.testing.assert_array_equal(idx.read_idx(p), a)
  raw = (tmp_path / "aFalse.idx").read_bytes()
  (tmp_path / "trunc.idx").write_bytes(raw[:-3])
  with pytest.raises(DataFormatError, match="truncated"):
    idx.read_idx(str(tmp_path / "trunc.idx"))
  (tmp_path / "junk.idx").write_bytes(b"PK\x03\x04junk")
  with pytest.raises(DataFormatError, match="not an IDX file"):
    idx.read_idx(str(tmp_path / "junk.idx"))


def test_idx_builder_reads_local_mnist_files(tmp_path):
  data = _fake_mnist_dir(str(tmp_path / "raw"))
  cfg = ml_collections.ConfigDict(dict(name="mnist", source_dir=str(tmp_path / "raw"),
                                       data_dir=str(tmp_path / "tfds")))
  for split, key in (("train", "train"), ("test", "t10k")):
    src = sources.data_source(cfg, split)
    images, labels = data[key]
    assert len(src) == len(images)
    got = sorted((int(src[i]["label"]), src[i]["image"].tobytes()) for i in range(len(src)))
    want = sorted((int(l), im[..., None].tobytes()) for im, l in zip(images, labels))
    assert got == want  # every example, with its label, exactly once


def test_missing_dataset_names_the_fix(tmp_path):
  cfg = ml_collections.ConfigDict(dict(name="fashion_mnist", source_dir=str(tmp_path / "nowhere"),
                                       data_dir=str(tmp_path / "tfds")))
  with pytest.raises(DatasetNotFoundError, match="dataset-fashion-mnist"):
    sources.data_source(cfg, "train")


def test_pipeline_batches_cover_each_epoch_once():
  src = [{"image": np.full((4, 4, 1), i, np.uint8), "label": i % 10} for i in range(20)]
  ds = pipeline.make_train_dataset(src, global_batch_size=5, seed=3, fields=image_fields((4, 4, 1)))
  it = iter(ds)
  epochs = []
  for _ in range(2):
    seen = np.concatenate([next(it)["image"][:, 0, 0, 0] for _ in range(4)])
    epochs.append(seen)
  for seen in epochs:
    values = np.round((seen + 1.0) * 127.5).astype(int)
    assert sorted(values) == list(range(20))
  assert not np.array_equal(epochs[0], epochs[1]), "each epoch is reshuffled"
  batch = next(it)
  assert batch["image"].dtype == np.float32 and batch["image"].shape == (5, 4, 4, 1)
  assert batch["image"].min() >= -1.0 and batch["image"].max() <= 1.0
  assert batch["label"].dtype == np.int32


def test_pipeline_rejects_wrong_image_dtype():
  src = [{"image": np.zeros((4, 4, 1), np.float32), "label": 0}] * 4
  it = iter(pipeline.make_train_dataset(src, global_batch_size=2, seed=0, fields=image_fields((4, 4, 1))))
  with pytest.raises(Exception, match="field 'image'"):
    next(it)


def test_class_balanced_batches_hold_each_class_equally_and_resume_the_same():
  from ganjax.data.pipeline import class_balanced_order, make_train_dataset

  # An imbalanced labelled set: class 0 has 90 examples, class 1 has 8, class 2 has 2.
  labels = np.array([0] * 90 + [1] * 8 + [2] * 2)
  images = np.arange(100, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 1), np.uint8)
  source = type("Src", (), {"arrays": {"image": images, "label": labels},
                            "__len__": lambda self: 100})()
  order = class_balanced_order(labels, seed=3, epoch=0)
  assert len(order) == 100
  for r in range(0, 99, 3):  # every run of K = 3 holds each class once
    assert sorted(labels[order[r:r + 3]]) == [0, 1, 2]
  # The rare classes' examples all appear; the order depends only on (seed, epoch).
  assert set(order[labels[order] == 2]) == {98, 99}
  np.testing.assert_array_equal(order, class_balanced_order(labels, seed=3, epoch=0))
  assert not np.array_equal(order, class_balanced_order(labels, seed=3, epoch=1))
  ds = make_train_dataset(source, global_batch_size=6, seed=3, fields=image_fields((4, 4, 1)),
                          balance_labels=labels)
  batches = [next(it) for it in [iter(ds)] for _ in range(20)]
  counts = np.bincount(np.concatenate([b["label"] for b in batches]), minlength=3)
  np.testing.assert_array_equal(counts, [40, 40, 40])
  # A resumed iterator continues with the same batches.
  it = iter(ds)
  for _ in range(7):
    next(it)
  resumed = iter(ds)
  resumed.set_state(it.get_state())
  np.testing.assert_array_equal(next(resumed)["image"], next(it)["image"])


def test_training_subset_is_fixed_across_training_seeds_and_feeds_only_its_examples():
  images = np.arange(40, dtype=np.uint8)[:, None, None, None] * np.ones((1, 4, 4, 1), np.uint8)
  labels = np.arange(40) % 10
  in_memory = type("Src", (), {"arrays": {"image": images, "label": labels},
                               "__len__": lambda self: 40})()
  listed = [{"image": images[i], "label": labels[i]} for i in range(40)]  # per-example access
  subset = sources.training_subset(in_memory, 12)
  assert len(subset) == 12 and len(set(subset.indices)) == 12
  assert list(subset.indices) == sorted(subset.indices)
  np.testing.assert_array_equal(subset.arrays["image"][:, 0, 0, 0], subset.indices)
  # The same examples through either kind of source, whatever the training seed.
  np.testing.assert_array_equal(sources.training_subset(listed, 12).indices, subset.indices)
  assert sources.training_subset(in_memory, None) is in_memory
  for seed in (0, 5):
    ds = pipeline.make_train_dataset(sources.training_subset(listed, 12), global_batch_size=4,
                                     seed=seed, fields=image_fields((4, 4, 1)))
    it = iter(ds)
    seen = np.concatenate([next(it)["image"][:, 0, 0, 0] for _ in range(3)])
    assert sorted(np.round((seen + 1.0) * 127.5).astype(int)) == sorted(subset.indices)
  for bad in (0, 41, 2.5):
    with pytest.raises(DataFormatError, match=r"config.dataset.subset.*\[1, 40\]"):
      sources.training_subset(in_memory, bad)
