"""Loading a user's sample and label files for experiments/evaluate.py: every bad file is refused
with a DataFormatError that names the file, what it holds and the fix. Needs no training core."""

import pickle
import re

import numpy as np
import pytest

from ganjax.errors import ConfigError, DataFormatError
from ganjax.metrics.scoring import load_label_file, load_sample_file, score
from tests.conftest import run_script

N = 6
SHAPE = (28, 28, 1)  # fashion_mnist's


def _images(n=N, shape=SHAPE):
  return np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)


class _OpensAFile:
  """Unpickling it would create the file `marker`: proof that a loader ran a pickle."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    return open, (self.marker, "w")


def _npy_bytes_cut(path, keep):
  np.save(path, _images())
  data = path.read_bytes()
  path.write_bytes(data[:keep(len(data))])


def _write(path, data):
  if isinstance(data, bytes):
    path.write_bytes(data)
  elif isinstance(data, str):
    path.write_text(data)
  else:
    np.save(path, data, allow_pickle=True)


# name -> (what the file holds, a regex the message must match)
BAD_SAMPLES = {
    "missing": (None, r"not found"),
    "directory": ("dir", r"a directory"),
    "empty": (b"", r"empty \(0 bytes\).*np\.save"),
    "text": ("0 1 2\n3 4 5\n", r"a text file.*np\.loadtxt.*np\.save"),
    "png": (b"\x89PNG\r\n\x1a\n" + bytes(64), r"a PNG image.*np\.save"),
    "random_bytes": (b"\x00\x07" + np.random.default_rng(1).bytes(200), r"not a \.npy file.*np\.save"),
    "npz": ("npz", r"zip archive.*np\.savez"),
    "pickle_dump": (pickle.dumps(_images()), r"Python pickle, refused without being unpickled"),
    "object_array": (np.array([_images(), _images(2)], dtype=object),
                     r"pickled object array.*refused without being unpickled"),
    "dict": ({"images": _images()}, r"pickled object array \(object \[\].*dict"),
    "float_tanh": (_images().astype(np.float32) / 127.5 - 1,
                   r"dtype float32, values in \[-1, 1\], not uint8.*"
                   r"np\.clip\(np\.round\(\(x \+ 1\) \* 127\.5\), 0, 255\)\.astype\(np\.uint8\)"),
    "float_unit": (_images().astype(np.float64) / 255, r"dtype float64.*values in \[0, 1\].*x \* 255"),
    "int64": (_images().astype(np.int64), r"dtype int64, values in \[0, 255\].*x\.astype\(np\.uint8\)"),
    "rank3_nhw": (_images()[..., 0], r"rank 3 \[6, 28, 28\].*x\[\.\.\., None\]"),
    "rank3_hwc": (_images()[0], r"rank 3 \[28, 28, 1\].*x\[\.\.\., None\].*x\[None\]"),
    "flattened": (_images().reshape(N, -1), r"rank 2 \[6, 784\].*x\.reshape\(-1, 28, 28, 1\)"),
    "channels_first": (_images(shape=(3, 28, 28)), r"channels first.*x\.transpose\(0, 2, 3, 1\)"),
    "rgba": (_images(shape=(28, 28, 4)), r"4 channels.*x\[\.\.\., :3\]"),
    "float_rank3": (_images()[..., 0].astype(np.float32),
                    r"dtype float32.*not uint8; rank 3.*astype\(np\.uint8\); then .*x\[\.\.\., None\]"),
    "zero_samples": (_images(0), r"holds 0 samples"),
    "one_sample": (_images(1), r"holds 1 sample \("),
    "truncated": ("truncated", r"truncated: its header says uint8 \[6, 28, 28, 1\], \d+ bytes, but the file"),
    "truncated_header": ("truncated_header", r"header is truncated or corrupt"),
    "rgb_vs_gray_dataset": (_images(shape=(28, 28, 3)),
                            r"shape \(28, 28, 3\), but dataset 'fashion_mnist' has \(28, 28, 1\).*gray"),
    "other_size_dataset": (_images(shape=(16, 16, 1)),
                   r"shape \(16, 16, 1\), but dataset 'fashion_mnist'.*--dataset=digits"),
}


def _bad_file(tmp_path, name, labels=False):
  data = (BAD_LABELS if labels else BAD_SAMPLES)[name][0]
  path = tmp_path / f"{name}.npy"
  if data is None:
    pass
  elif isinstance(data, str) and data == "dir":
    path.mkdir()
  elif isinstance(data, str) and data == "npz":
    np.savez(path.with_suffix(".npz"), images=_images())
    path = path.with_suffix(".npz")
  elif isinstance(data, str) and data == "truncated":
    _npy_bytes_cut(path, lambda n: n - 100)
  elif isinstance(data, str) and data == "truncated_header":
    _npy_bytes_cut(path, lambda n: 40)
  else:
    _write(path, data)
  return path


@pytest.mark.parametrize("name", sorted(BAD_SAMPLES))
def test_a_bad_samples_file_is_refused_naming_the_file_the_problem_and_the_fix(tmp_path, name):
  path = _bad_file(tmp_path, name)
  with pytest.raises(DataFormatError) as e:
    load_sample_file(str(path), "fashion_mnist")
  message = str(e.value)
  assert message.startswith(f"samples file {path}: ")
  expected = ("uint8 [N, 28, 28, 1] samples to compare with 'fashion_mnist'" if "dataset" in name else
              "uint8 array [N, H, W, C] (C in 1 or 3, values 0..255)")
  assert f"; expected a .npy of one {expected}" in message or f"; expected {expected}" in message
  assert "Fix: " in message
  assert re.search(BAD_SAMPLES[name][1], message, re.S), message


BAD_LABELS = {
    "missing": (None, r"not found"),
    "text": ("1\n2\n", r"a text file"),
    "dict": ({"labels": np.arange(N)}, r"pickled object array.*refused without being unpickled"),
    "float_whole": (np.arange(N, dtype=np.float32), r"dtype float32.*not an integer.*x\.astype\(np\.int64\)"),
    "float_fractional": (np.arange(N) * 0.5, r"dtype float64.*not an integer.*np\.asarray\(y, np\.int64\)"),
    "column": (np.arange(N)[:, None], r"int64 \[6, 1\], not \[N\].*x\[:, 0\]"),
    "one_hot": (np.eye(10, dtype=np.int64)[np.arange(N)], r"one-hot.*x\.argmax\(1\)"),
    "rank3": (np.zeros((N, 2, 2), np.int64), r"rank 3, not \[N\]"),
    "too_few": (np.arange(N - 1), r"5 labels, but the samples file holds 6"),
    "out_of_range": (np.arange(N) + 5,
                     r"labels in \[5, 10\], but dataset 'fashion_mnist' has classes 0\.\.9"),
    "truncated": ("truncated", r"truncated"),
}


@pytest.mark.parametrize("name", sorted(BAD_LABELS))
def test_a_bad_labels_file_is_refused_naming_the_file_the_problem_and_the_fix(tmp_path, name):
  path = _bad_file(tmp_path, name, labels=True)
  with pytest.raises(DataFormatError) as e:
    load_label_file(str(path), N, "fashion_mnist")
  message = str(e.value)
  assert message.startswith(f"labels file {path}: ") and "integer array [N]" in message
  assert "Fix: " in message
  assert re.search(BAD_LABELS[name][1], message, re.S), message


def test_a_pickle_in_a_samples_file_is_never_run(tmp_path):
  marker = tmp_path / "pickle_ran"
  path = tmp_path / "evil.npy"
  np.save(path, np.array([_OpensAFile(str(marker))], dtype=object), allow_pickle=True)
  for load in (load_sample_file, lambda p: load_label_file(p, 1)):
    with pytest.raises(DataFormatError, match="refused without being unpickled"):
      load(str(path))
  assert not marker.exists()


def test_a_valid_samples_file_loads_unchanged(tmp_path):
  images, labels = _images(), np.arange(N) % 10
  np.save(tmp_path / "x.npy", images)
  np.save(tmp_path / "y.npy", labels.astype(np.uint8))
  loaded = load_sample_file(str(tmp_path / "x.npy"), "fashion_mnist")
  assert loaded.dtype == np.uint8 and loaded.shape == images.shape
  np.testing.assert_array_equal(loaded, images)
  assert isinstance(loaded, np.memmap)  # read batch by batch, never all in memory
  np.testing.assert_array_equal(load_sample_file(str(tmp_path / "x.npy")), images)  # no dataset
  loaded_labels = load_label_file(str(tmp_path / "y.npy"), N, "fashion_mnist")
  assert loaded_labels.dtype == np.int64
  np.testing.assert_array_equal(loaded_labels, labels)
  # RGB at another size is fine when no dataset is named.
  np.save(tmp_path / "rgb.npy", _images(shape=(32, 32, 3)))
  assert load_sample_file(str(tmp_path / "rgb.npy")).shape == (N, 32, 32, 3)


def test_score_checks_the_files_before_loading_any_network(tmp_path):
  np.save(tmp_path / "x.npy", _images(shape=(16, 16, 1)))
  with pytest.raises(DataFormatError, match="but dataset 'fashion_mnist' has"):
    score(metrics="fid", samples=str(tmp_path / "x.npy"), feature_net="no_such_net")
  with pytest.raises(ConfigError, match="--labels=FILE.npy goes with --samples"):
    score(metrics="fid", run=(None, None), labels=str(tmp_path / "x.npy"))


@pytest.mark.parametrize("name, flag", [("float_tanh", "samples"), ("dict", "samples"),
                                        ("too_few", "labels")])
def test_evaluate_cli_reports_a_bad_file_in_one_line(tmp_path, name, flag):
  samples = tmp_path / "good.npy"
  np.save(samples, _images())
  bad = _bad_file(tmp_path, name, labels=flag == "labels")
  args = [f"--samples={bad}"] if flag == "samples" else [f"--samples={samples}", f"--labels={bad}"]
  proc = run_script(["experiments/evaluate.py", *args, "--metrics=fid", "--dataset=fashion_mnist"],
                    timeout=300)
  assert proc.returncode != 0
  assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
  assert f"ganjax: DataFormatError: {flag} file {bad}: " in proc.stderr, proc.stderr[-3000:]
  pattern = (BAD_LABELS if flag == "labels" else BAD_SAMPLES)[name][1]
  assert re.search(pattern, proc.stderr, re.S), proc.stderr[-3000:]
