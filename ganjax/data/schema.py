"""A dataset's example schema: its fields, each with a shape, dtypes, range and role.

A dataset declares every field its examples hold; the pipeline converts, checks, batches, shards
and caches each field by this schema, and a family declares the fields it reads with the shapes it
expects (`Family.fields`), so a mismatch stops before compiling with both shapes named:

  Field("image", (28, 28, 1))                              uint8 on disk -> float32 in [-1, 1]
  Field("lr", (7, 7, 1), role="lowres")                    a second image field of another size
  Field("tokens", (16,), role="tokens", stored_dtype="int64", dtype="int32", encoding="identity",
        range=(0, 500))                                    token ids, passed through as int32
  Field("voxels", (32, 32, 32, 1), role="voxels", encoding="identity", range=(0, 1))
  Field("label", (), role="label", ...)                    (`label(num_classes)` builds it)

`stored` is the tfds feature name when it differs from the batch name (unpaired data stores each
domain's "image" in its own split, batched as "a", "b"); `domain` names that split's domain.
Encodings: "unit" maps uint8 0..255 to float32 [-1, 1] (x / 127.5 - 1); "identity" casts to
`dtype`. `range` documents (and checks, for integer fields of concrete data) the model values.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import jax
import numpy as np

from ganjax.errors import DataFormatError
from ganjax.images import to_uint8

ROLES = ("image", "lowres", "tokens", "voxels", "points", "label", "domain", "vector")
ENCODINGS = ("unit", "identity")


@dataclasses.dataclass(frozen=True)
class Field:
  name: str                      # the model batch's name for it
  shape: tuple[int, ...]         # per example
  role: str = "image"
  stored: str | None = None      # tfds feature name (default: name)
  stored_dtype: str = "uint8"
  dtype: str = "float32"         # in the model batch
  encoding: str = "unit"
  range: tuple[float, float] = (-1.0, 1.0)
  domain: str | None = None      # unpaired data: the domain whose split holds this field

  def __post_init__(self):
    object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
    if self.role not in ROLES:
      raise ValueError(f"field {self.name!r}: role must be one of {ROLES}, got {self.role!r}.")
    if self.encoding not in ENCODINGS:
      raise ValueError(f"field {self.name!r}: encoding must be one of {ENCODINGS}, got "
                       f"{self.encoding!r}.")
    if self.encoding == "unit" and np.dtype(self.stored_dtype) != np.uint8:
      raise ValueError(f"field {self.name!r}: encoding 'unit' maps uint8 to [-1, 1]; stored dtype "
                       f"is {self.stored_dtype}: use encoding 'identity'.")

  @property
  def source_name(self) -> str:
    return self.stored or self.name

  @property
  def is_label(self) -> bool:
    return self.role == "label"

  @property
  def is_data(self) -> bool:
    """A field a generator makes or a critic judges (not a label, not token ids)."""
    return self.role not in ("label", "tokens")

  def example(self, batch: int = 1) -> jax.ShapeDtypeStruct:
    """A ShapeDtypeStruct of `batch` model-batch examples, to initialise networks on."""
    return jax.ShapeDtypeStruct((batch, *self.shape), np.dtype(self.dtype))

  def zeros(self, batch: int) -> np.ndarray:
    """Model-batch zeros [batch, *shape] of this field's dtype (synthetic batches, tracing)."""
    return np.zeros((batch, *self.shape), np.dtype(self.dtype))

  def check(self, data: np.ndarray, *, batched: bool) -> np.ndarray:
    """`data` as stored (one example, or [b, ...] with `batched`), checked against the schema."""
    data = np.asarray(data)
    shape = data.shape[1:] if batched else data.shape
    if shape != self.shape or not _same_kind(data.dtype, np.dtype(self.stored_dtype)):
      raise DataFormatError(f"field {self.source_name!r}: expected {self.stored_dtype} "
                            f"{self.shape}, got {data.dtype} {shape}; re-prepare the dataset or "
                            f"fix its builder.")
    return data

  def convert(self, data: np.ndarray) -> np.ndarray:
    """Stored values -> model-batch values (float32 [-1, 1] for "unit", a cast otherwise)."""
    if self.encoding == "unit":
      return data.astype(np.float32) / 127.5 - 1.0
    return data.astype(np.dtype(self.dtype))

  def to_stored(self, values) -> np.ndarray:
    """Model-batch values -> this field's stored form (what its dataset holds and `check`
    accepts): uint8 0..255 for "unit" fields (from [-1, 1], clipped), integer fields rounded half
    up and clipped to `range` (voxel occupancies in [0, 1] -> 0 / 1, occupied from 0.5), others
    cast."""
    v = np.asarray(values)
    dtype = np.dtype(self.stored_dtype)
    if self.encoding == "unit":
      return to_uint8(v)
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(v.dtype, np.integer):
      v = np.clip(np.floor(v.astype(np.float64) + 0.5), *self.range)
    return v.astype(dtype)


def _same_kind(got: np.dtype, want: np.dtype) -> bool:
  """Labels and token ids may be stored as any integer type (tfds' ClassLabel reads int64)."""
  if np.issubdtype(want, np.integer):
    return np.issubdtype(got, np.integer)
  return got == want


def image(name: str, shape: Sequence[int], *, role: str = "image", stored: str | None = None,
          domain: str | None = None) -> Field:
  """A uint8 image field [H, W, C] (or any rank) fed as float32 in [-1, 1]."""
  return Field(name, tuple(shape), role=role, stored=stored, domain=domain)


def label(num_classes: int, name: str = "label", *, stored: str | None = None,
          domain: str | None = None) -> Field:
  """An integer class label [] in [0, num_classes), fed as int32."""
  return Field(name, (), role="label", stored=stored, stored_dtype="int64", dtype="int32",
               encoding="identity", range=(0, max(int(num_classes) - 1, 0)), domain=domain)


def tokens(name: str, length: int, vocab_size: int) -> Field:
  """Token ids [length] in [0, vocab_size), fed as int32 (0 may be padding: the tokenizer says)."""
  return Field(name, (int(length),), role="tokens", stored_dtype="int64", dtype="int32",
               encoding="identity", range=(0, int(vocab_size) - 1))


def voxels(name: str, shape: Sequence[int], *, stored_dtype: str = "uint8") -> Field:
  """An occupancy grid [D, H, W, C] stored as 0/1, fed as float32 in [0, 1]."""
  return Field(name, tuple(shape), role="voxels", stored_dtype=stored_dtype, encoding="identity",
               range=(0.0, 1.0))


def points(name: str, shape: Sequence[int], stored: str | None = None) -> Field:
  """Float32 points [D] (toy mixtures) passed through unchanged."""
  return Field(name, tuple(shape), role="points", stored=stored, stored_dtype="float32",
               encoding="identity", range=(-np.inf, np.inf))


def convert_example(fields: Sequence[Field], arrays: dict, *, batched: bool) -> dict:
  """{field name: model-batch array} of every field in `fields` found in `arrays` (stored names),
  each checked against its schema; a data field that is missing is a DataFormatError."""
  out = {}
  for f in fields:
    if f.source_name not in arrays:
      if f.is_label:
        continue  # unlabelled sources (a user's folder) carry no label
      raise DataFormatError(f"example lacks field {f.source_name!r} (has {sorted(arrays)}); "
                            f"check the dataset builder.")
    out[f.name] = f.convert(f.check(arrays[f.source_name], batched=batched))
  return out


def describe(fields: Sequence[Field]) -> str:
  """'image uint8->float32 (28, 28, 1), label int64->int32 ()' for messages and docs."""
  return ", ".join(f"{f.name} {f.stored_dtype}->{f.dtype} {f.shape}" for f in fields)


def image_fields(shape: Sequence[int], num_classes: int = 10) -> tuple[Field, ...]:
  """The schema of labelled images: ("image" [H, W, C], "label")."""
  return (image("image", shape), label(num_classes))
