"""Reading other programs' samples for scoring: a .npy of uint8 images [N, H, W, C] and one of int
class labels [N]. A file of another kind stops with a DataFormatError that names the file, what it
holds (a PNG, an .npz, a pickle, floats in [-1, 1], flattened images, ...) and how to convert it;
no pickle is ever unpickled (evaluate.py --samples/--labels, translate.py, encode.py)."""

from __future__ import annotations

import os

import numpy as np

from ganjax.data.sources import DATASETS, dataset_spec
from ganjax.errors import DataFormatError

SAMPLES_EXPECTED = "a .npy of one uint8 array [N, H, W, C] (C in 1 or 3, values 0..255)"
LABELS_EXPECTED = "a .npy of one integer array [N] of class labels, one per sample"
TO_UINT8 = "np.clip(np.round((x + 1) * 127.5), 0, 255).astype(np.uint8)"  # ganjax.images.to_uint8
_NPY_MAGIC = b"\x93NUMPY"
_REFUSED = "refused without being unpickled (unpickling can run code)"
_STACK_IMAGES = "stack the images into one uint8 [N, H, W, C] array and save it with np.save"
# First bytes of files saved in another format by mistake -> (what the file is, the fix).
_OTHER_FORMATS = [
    (b"\x89PNG", "a PNG image", _STACK_IMAGES),
    (b"\xff\xd8\xff", "a JPEG image", _STACK_IMAGES),
    (b"GIF8", "a GIF image", _STACK_IMAGES),
    (b"PK\x03\x04", "a zip archive (an .npz from np.savez?)",
     "save the one array to score with np.save, e.g. np.save(out, np.load(path)['images'])"),
    (b"\x80", f"a Python pickle, {_REFUSED}",
     "save the array with np.save, not pickle.dump"),
    (b"\x1f\x8b", "a gzip file", "decompress it (gunzip) or save the array with np.save"),
    (b"\x89HDF", "an HDF5 file", "read the array (h5py) and save it with np.save"),
]


def _file_error(kind: str, path: str, found: str, expected: str, fix: str) -> DataFormatError:
  return DataFormatError(f"{kind} file {path}: {found}; expected {expected}. Fix: {fix}.")


def _identify(head: bytes) -> tuple[str, str]:
  """(what a file that is not a .npy looks like from its first bytes, how to fix it)."""
  for magic, what, fix in _OTHER_FORMATS:
    if head.startswith(magic):
      return what, fix
  controls = any((b < 32 and b not in b"\t\n\r") or b == 127 for b in head)
  if not controls and head.decode("utf-8", "replace")[:-3].count("\ufffd") == 0:
    return (f"a text file, not a .npy (it starts with {head.decode('utf-8', 'replace')[:24]!r})",
            "load it (e.g. np.loadtxt) and save the array with np.save, which writes binary .npy")
  return (f"not a .npy file (it starts with {head[:8]!r}, not the .npy magic {_NPY_MAGIC!r})",
          "save the array with np.save")


def _read_npy(path: str, kind: str, expected: str) -> np.ndarray:
  """The array in a .npy file, memory-mapped. A DataFormatError names the file, what it holds, what
  `kind` expects and the fix when the file is missing, not a .npy, holds Python objects (refused
  unread: allow_pickle stays False, so no pickle runs) or is truncated."""
  if not os.path.exists(path):
    raise _file_error(kind, path, "not found", expected, f"check the path (relative to {os.getcwd()})")
  if os.path.isdir(path):
    raise _file_error(kind, path, "a directory", expected, "pass the .npy file itself")
  try:
    with open(path, "rb") as fp:
      head = fp.read(32)
      if not head.startswith(_NPY_MAGIC):
        found, fix = _identify(head) if head else ("empty (0 bytes)", "save the array with np.save")
        raise _file_error(kind, path, found, expected, fix)
      fp.seek(0)
      version = np.lib.format.read_magic(fp)
      read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                     (2, 0): np.lib.format.read_array_header_2_0}.get(version)
      if read_header is None:
        raise _file_error(kind, path, f"a .npy of format version {version[0]}.{version[1]} "
                          "(a structured array)", expected, "save a plain numeric array with np.save")
      shape, _, dtype = read_header(fp)
      data_start = fp.tell()
  except DataFormatError:  # a ValueError too, but already says what is wrong
    raise
  except OSError as e:
    raise _file_error(kind, path, f"unreadable ({e.strerror or e})", expected,
                      "check the file's permissions") from None
  except ValueError as e:  # from read_magic / read_array_header: a cut or corrupt header
    raise _file_error(kind, path, f"a .npy whose header is truncated or corrupt ({e})", expected,
                      "save the array again with np.save") from None
  found = f"{dtype} {list(shape)}"
  if dtype.hasobject:
    raise _file_error(kind, path, f"a pickled object array ({found}, as np.save writes a dict, a list "
                      f"or an object array), {_REFUSED}",
                      expected, "np.save the numeric array itself, e.g. np.save(path, np.asarray(x))")
  need = data_start + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
  size = os.path.getsize(path)
  if size < need:
    raise _file_error(kind, path, f"truncated: its header says {found}, {need} bytes, but the file has "
                      f"{size}", expected, "save it again (an interrupted write or copy cuts files short)")
  try:
    return np.load(path, mmap_mode="r", allow_pickle=False)
  except (OSError, ValueError) as e:
    raise _file_error(kind, path, f"{found} that cannot be read ({e})", expected,
                      "save the array again with np.save") from None


def _value_range(x: np.ndarray, first: int = 1024) -> tuple[str, float | None, float | None]:
  """(", values in [lo, hi]" over the first `first` rows, lo, hi) of a numeric array."""
  if x.dtype.kind not in "biuf":  # bool, int, uint, float
    return "", None, None
  head = np.asarray(x[:first] if x.ndim else x, np.float64)
  finite = head[np.isfinite(head)]
  if not finite.size:
    return ("" if not head.size else ", all NaN or inf"), None, None
  lo, hi = float(finite.min()), float(finite.max())
  where = f" in the first {first} samples" if x.ndim and len(x) > first else ""
  extra = " and NaN/inf" if finite.size < head.size else ""
  return f", values in [{lo:g}, {hi:g}]{extra}{where}", lo, hi


def _uint8_fix(dtype: np.dtype, lo: float | None, hi: float | None) -> str:
  """How to turn an array of `dtype` with values in [lo, hi] into uint8 0..255."""
  if dtype == np.bool_:
    return "x.astype(np.uint8) * 255"
  if lo is None:
    return "convert it to uint8 values 0..255"
  if np.issubdtype(dtype, np.integer):
    if lo >= 0 and hi <= 255:
      return "x.astype(np.uint8) (the values already lie in 0..255)"
    return "rescale the values to 0..255, then x.astype(np.uint8)"
  if lo >= 0 and hi <= 1:
    return "values in [0, 1]: np.clip(np.round(x * 255), 0, 255).astype(np.uint8)"
  if lo >= 0 and hi <= 255:
    return "values in [0, 255]: np.clip(np.round(x), 0, 255).astype(np.uint8)"
  if lo >= -1 and hi <= 1:
    return f"values in [-1, 1] (a tanh generator's): convert with {TO_UINT8}"
  return f"rescale to 0..255; a tanh generator's [-1, 1] output converts with {TO_UINT8}"


def _layout_problem(shape: tuple[int, ...], image_shape: tuple[int, ...] | None) -> tuple[str, str] | None:
  """(what is wrong with an array shape for [N, H, W, C] images, the fix), or None."""
  if len(shape) == 3:
    fix = "for grayscale [N, H, W], add a channel axis: x[..., None]"
    if shape[-1] in (1, 3):
      fix += "; for one [H, W, C] image, x[None] (but scoring needs many samples)"
    return f"rank 3 {list(shape)}, not rank 4 [N, H, W, C]", fix
  if len(shape) == 2 and image_shape and shape[1] == int(np.prod(image_shape)):
    return (f"rank 2 {list(shape)}: flattened images, not [N, H, W, C]",
            f"x.reshape(-1, {', '.join(map(str, image_shape))})")
  if len(shape) != 4:
    return f"rank {len(shape)} {list(shape)}, not rank 4 [N, H, W, C]", "reshape it to [N, H, W, C]"
  if shape[3] in (1, 3):
    return None
  if shape[1] in (1, 3):
    return (f"channels first {list(shape)}: [N, C, H, W], not [N, H, W, C]",
            "move the channels last: x.transpose(0, 2, 3, 1)")
  if shape[3] == 4:
    return "4 channels (RGBA?), not 1 or 3", "drop the alpha channel: x[..., :3]"
  return f"{shape[3]} channels in [N, H, W, C] = {list(shape)}, not 1 or 3", "save gray or RGB images"


def _dataset_shape_fix(found: tuple[int, ...], dataset: str, want: tuple[int, ...]) -> str:
  same = [n for n in DATASETS.names() if tuple(DATASETS.get(n).shape) == found]
  fixes = [f"score against a dataset of that shape (--dataset={'|'.join(same)})"] if same else []
  if found[:2] == want[:2] and (found[2], want[2]) == (1, 3):
    fixes.append("repeat the gray channel: np.repeat(x, 3, axis=-1)")
  elif found[:2] == want[:2] and (found[2], want[2]) == (3, 1):
    fixes.append("convert to gray, e.g. np.round(x @ [0.299, 0.587, 0.114])[..., None].astype(np.uint8)")
  else:
    fixes.append(f"generate (or resize) samples of shape {want}, as in {dataset!r}")
  return ", or ".join(fixes)


def load_sample_file(path: str, dataset: str | None = None) -> np.ndarray:
  """The uint8 [N, H, W, C] samples in a .npy file, memory-mapped (read batch by batch).

  Anything else raises DataFormatError naming the file, what it holds, what is expected and the
  fix: a missing file, one that is not a .npy (text, an image, random bytes), pickled objects
  (refused without being unpickled), a truncated file, another dtype or rank, C not 1 or 3, fewer
  than 2 samples, or (given `dataset`, a DATASETS name) an [H, W, C] other than that dataset's.
  """
  x = _read_npy(path, "samples", SAMPLES_EXPECTED)
  want = tuple(dataset_spec(dataset).shape) if dataset else None
  image_shape = want if want and len(want) == 3 else None
  problems, fixes = [], []
  if x.dtype != np.uint8:
    values, lo, hi = _value_range(x)
    problems.append(f"dtype {x.dtype}{values}, not uint8")
    fixes.append(_uint8_fix(x.dtype, lo, hi))
  layout = _layout_problem(x.shape, image_shape)
  if layout:
    problems.append(layout[0])
    fixes.append(layout[1])
  if problems:
    raise _file_error("samples", path, f"holds {x.dtype} {list(x.shape)}: {'; '.join(problems)}",
                      SAMPLES_EXPECTED, "; then ".join(fixes))
  if len(x) < 2:
    raise _file_error("samples", path, f"holds {len(x)} sample{'s' * (len(x) != 1)} ({x.dtype} "
                      f"{list(x.shape)})",
                      SAMPLES_EXPECTED + " with N >= 2", "write the samples again; FID needs at "
                      "least 2 and is only stable from about 10000")
  if want is not None and tuple(x.shape[1:]) != want:
    raise _file_error("samples", path, f"images of shape {tuple(x.shape[1:])}, but dataset {dataset!r} "
                      f"has {want}", f"uint8 [N, {', '.join(map(str, want))}] samples to compare with "
                      f"{dataset!r}", _dataset_shape_fix(tuple(x.shape[1:]), dataset, want))
  return x


def load_label_file(path: str, num_samples: int, dataset: str | None = None) -> np.ndarray:
  """The int64 class labels [num_samples] in a .npy file; a DataFormatError as for
  `load_sample_file`, or when they are not integers, not [N], not one per sample, or (given
  `dataset`) outside its classes 0..K-1."""
  x = _read_npy(path, "labels", LABELS_EXPECTED)
  found = f"holds {x.dtype} {list(x.shape)}"
  if not np.issubdtype(x.dtype, np.integer):
    values, lo, _ = _value_range(x)
    whole = lo is not None and np.issubdtype(x.dtype, np.floating) and np.all(np.mod(x, 1) == 0)
    raise _file_error("labels", path, f"{found}: dtype {x.dtype}{values}, not an integer type",
                      LABELS_EXPECTED, "x.astype(np.int64)" if whole or x.dtype == np.bool_ else
                      "save the class indices as integers, e.g. np.asarray(y, np.int64)")
  if x.ndim == 2 and x.shape[1] == 1:
    raise _file_error("labels", path, f"{found}, not [N]", LABELS_EXPECTED, "x[:, 0]")
  if x.ndim == 2:
    raise _file_error("labels", path, f"{found}: one-hot or per-class scores, not [N]", LABELS_EXPECTED,
                      "the class indices: x.argmax(1)")
  if x.ndim != 1:
    raise _file_error("labels", path, f"{found}, rank {x.ndim}, not [N]", LABELS_EXPECTED,
                      "save one label per sample, a 1-d array")
  if len(x) != num_samples:
    raise _file_error("labels", path, f"{len(x)} labels, but the samples file holds {num_samples}",
                      LABELS_EXPECTED, "save the labels of exactly the samples in the samples file, "
                      "in the same order")
  labels = np.asarray(x, np.int64)
  num_classes = dataset_spec(dataset).num_classes if dataset else None
  if num_classes and len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
    raise _file_error("labels", path, f"labels in [{labels.min()}, {labels.max()}], but dataset "
                      f"{dataset!r} has classes 0..{num_classes - 1}", LABELS_EXPECTED,
                      f"map the labels to class indices 0..{num_classes - 1}")
  return labels
