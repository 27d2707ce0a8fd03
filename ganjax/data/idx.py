"""Reader for the MNIST IDX format (optionally gzipped), as used by MNIST and Fashion-MNIST."""

from __future__ import annotations

import gzip
import os

import numpy as np

from ganjax.errors import DataFormatError

_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def find_idx_file(directory: str, stem: str) -> str | None:
  """Path of `stem` or `stem.gz` in `directory` (e.g. stem "train-images-idx3-ubyte"), or None."""
  for name in (stem, stem + ".gz"):
    path = os.path.join(directory, name)
    if os.path.isfile(path):
      return path
  return None


def read_idx(path: str) -> np.ndarray:
  """Reads an IDX file (raw or gzipped) into an array of its stored shape and dtype."""
  with open(path, "rb") as f:
    data = f.read()
  if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file's name says
    data = gzip.decompress(data)
  if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
    raise DataFormatError(f"{path} is not an IDX file (bad magic number {data[:4]!r}).")
  ndim = data[3]
  shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
  dtype = np.dtype(_DTYPES[data[2]])
  offset = 4 + 4 * ndim
  expected = int(np.prod(shape)) * dtype.itemsize
  if len(data) - offset != expected:
    raise DataFormatError(f"{path} is truncated or corrupt: header says {shape} "
                          f"({expected} bytes) but {len(data) - offset} bytes follow.")
  return np.frombuffer(data, dtype, offset=offset).reshape(shape)


def read_idx_split(directory: str, image_stem: str, label_stem: str) -> tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, H, W], labels int64 [N]) of one MNIST-format split in `directory`."""
  return (read_idx(find_idx_file(directory, image_stem)),
          read_idx(find_idx_file(directory, label_stem)).astype(np.int64))
