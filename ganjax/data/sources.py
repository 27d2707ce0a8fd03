"""Dataset registry: config name -> tfds builder, prepared on first use, read as a data source.

`config.dataset` fields: name (a DATASETS key), source_dir (raw files, for datasets that need
them; None = the spec's default), data_dir (where tfds keeps prepared ArrayRecords; None = tfds'
default, $TFDS_DATA_DIR or ~/tensorflow_datasets).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Sequence

import jax
import numpy as np
import tensorflow_datasets as tfds

from ganjax.data import builders, emoji, padding, schema, superres, translation, voxels
from ganjax.data.pipeline import DomainSources
from ganjax.data.schema import Field
from ganjax.errors import ConfigError, DataFormatError, DatasetNotFoundError
from ganjax.registry import Registry


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
  """A registered dataset: its tfds builder, its example schema (ganjax/data/schema.py) and how
  its images are scored.

  schema: every field of a model batch, in order; the first data field is the primary one (FID's
  reference statistics read it; latent families sample its shape). Datasets of one image field,
  paired images, points or unpaired domains may give `shape` and `kind` instead, which build the
  schema (`legacy_schema`)."""
  builder: type                         # tfds GeneratorBasedBuilder subclass
  builder_config: str | None            # its BuilderConfig name, if any
  shape: Sequence[int] | None = None    # per-example shape of the data field(s), with `kind`
  num_classes: int = 0
  default_source_dir: str | None = None  # manual dir with raw files, if the builder needs one
  missing_hint: str = ""                 # how to get the raw files
  check_source: Callable[[str], list[str]] | None = None  # dir -> missing file names
  kind: str = "image"  # with `shape`: "image", "points", "paired" (source and target images)
  # Decode each split once into memory: for small datasets whose per-example tfds decoding
  # (~0.1 ms) would bound the step rate of a tiny model.
  in_memory: bool = False
  # Unpaired translation data: the domain names; the builder has splits "<split>_<domain>" of
  # {"image", "label"} examples and a training batch holds each domain's field and "label_<domain>".
  domains: tuple[str, ...] = ()
  # What each domain holds: domain -> the class indices of its examples (unpaired data).
  domain_classes: dict | None = None
  # Metrics (ganjax/metrics/eval_config.py): the FEATURE_NETS name that scores this dataset's
  # images unless one is named (None: none fits; name one), the one whose logits are this
  # dataset's classes (conditional accuracy; None: none), and the split FID's reference
  # statistics come from unless one is named.
  feature_net: str | None = None
  classifier: str | None = None
  fid_split: str = "test"
  schema: tuple[Field, ...] = ()

  def __post_init__(self):
    if not self.schema or self._derived_schema():
      # dataclasses.replace(spec, shape=..., num_classes=...) re-derives a derived schema.
      if self.shape is None:
        raise ValueError("a DatasetSpec needs a schema (or shape and kind).")
      object.__setattr__(self, "schema", legacy_schema(self.kind, self.shape, self.num_classes,
                                                       self.domains))
    names = [f.name for f in self.schema]
    if len(set(names)) != len(names):
      raise ValueError(f"schema field names must be unique, got {names}.")
    if not any(f.is_data for f in self.schema):
      raise ValueError(f"a schema needs at least one data field, got {names}.")
    object.__setattr__(self, "shape", self.primary.shape)

  def _derived_schema(self) -> bool:
    """Whether `schema` is the one `shape` and `kind` build (for some shape and class count)."""
    if not self.schema or self.shape is None:
      return False
    data = next((f for f in self.schema if f.is_data), None)
    labels = [f for f in self.schema if f.is_label]
    if data is None or not labels:
      return False
    try:
      built = legacy_schema(self.kind, data.shape, int(labels[0].range[1]) + 1, self.domains)
    except ValueError:
      return False
    return built == tuple(self.schema)

  @property
  def primary(self) -> Field:
    """The primary data field: what FID reads and what a latent family's samples look like."""
    return next(f for f in self.schema if f.is_data)

  @property
  def data_fields(self) -> tuple[str, ...]:
    """The model batch's data fields: ("image",), ("points",), ("target", "source") for paired
    data, the domain names for unpaired data, ("hr", "lr") for super-resolution."""
    return tuple(f.name for f in self.schema if f.is_data)

  @property
  def data_field(self) -> str:
    """The model batch's primary data field: "image", "points", "target" or the first domain."""
    return self.primary.name

  @property
  def fields(self) -> tuple[str, ...]:
    """The named fields every model batch of this dataset carries."""
    return tuple(f.name for f in self.schema)

  def field(self, name: str) -> Field:
    """The schema entry of `name`; KeyError naming the dataset's fields."""
    for f in self.schema:
      if f.name == name:
        return f
    raise KeyError(f"dataset has no field {name!r}; it has {self.fields}.")

  def domain_fields(self, domain: str | None) -> tuple[Field, ...]:
    """The fields one split holds: those of `domain` (unpaired data), or every field (None)."""
    return tuple(f for f in self.schema if f.domain == domain)

  def example(self, field: str | None = None, batch: int = 1):
    """A ShapeDtypeStruct of `field` (default: the primary data) for `batch` examples."""
    return self.field(field or self.data_field).example(batch)

  def zeros_batch(self, batch: int) -> dict:
    """A model batch of zeros with every field (synthetic batches for timing and tracing)."""
    return {f.name: f.zeros(batch) for f in self.schema}


def legacy_schema(kind: str, shape: Sequence[int], num_classes: int,
                  domains: Sequence[str] = ()) -> tuple[Field, ...]:
  """The schema of a dataset given by one per-example `shape` and a kind: "image" ({"image",
  "label"}), "points" ({"points" stored as "point", "label"}), "paired" ({"target", "source",
  "label"}), or unpaired `domains` ({"a", "b", "label_a", "label_b"}, each from its split's
  "image" and "label")."""
  if domains:
    return (*(schema.image(d, shape, role="domain", stored="image", domain=d) for d in domains),
            *(schema.label(num_classes, f"label_{d}", stored="label", domain=d) for d in domains))
  if kind == "image":
    data = (schema.image("image", shape),)
  elif kind == "points":
    data = (schema.points("points", shape, stored="point"),)
  elif kind == "paired":  # the target image is the primary field (FID compares to it)
    data = (schema.image("target", shape), schema.image("source", shape))
  else:
    raise ValueError(f"unknown dataset kind {kind!r}; give a schema instead.")
  return (*data, schema.label(num_classes))


def _missing_idx_files(directory: str) -> list[str]:
  from ganjax.data.idx import find_idx_file
  stems = [s for pair in builders.IDX_STEMS.values() for s in pair]
  return [s for s in stems if find_idx_file(directory, s) is None]


_FASHION_DIR = "/usr/share/datasets/fashion-mnist"
_FASHION_HINT = ("Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or point "
                 "--config.dataset.source_dir at a directory holding the four Fashion-MNIST IDX files.")

DATASETS: Registry = Registry("dataset")
# The shipped Fashion-MNIST CNN scores 28x28x1 images, and 32x32x1 ones by their centre 28x28.
_FASHION_NETS = dict(feature_net="fashion_mnist_cnn", classifier="fashion_mnist_cnn")
DATASETS.register("fashion_mnist", DatasetSpec(
    builders.IdxImages, "fashion_mnist", (28, 28, 1), 10, _FASHION_DIR, _FASHION_HINT,
    _missing_idx_files, **_FASHION_NETS))
DATASETS.register("fashion_mnist32", DatasetSpec(
    builders.IdxImages, "fashion_mnist32", (32, 32, 1), 10, _FASHION_DIR, _FASHION_HINT,
    _missing_idx_files, **_FASHION_NETS))
DATASETS.register("mnist", DatasetSpec(
    builders.IdxImages, "mnist", (28, 28, 1), 10, None,
    "Set --config.dataset.source_dir to a directory holding the four MNIST IDX files "
    "(train-images-idx3-ubyte.gz, ...).", _missing_idx_files, feature_net="fashion_mnist_cnn"))
DATASETS.register("digits", DatasetSpec(builders.SklearnDigits, None, (16, 16, 1), 10))
# Image-to-image translation, made from Fashion-MNIST and padded to 32x32 (ganjax/data/translation.py).
_TRANSLATION_SHAPE = (padding.SIZE, padding.SIZE, 1)
DATASETS.register("edges2fashion", DatasetSpec(
    translation.Edges2Fashion, None, _TRANSLATION_SHAPE, 10, _FASHION_DIR, _FASHION_HINT,
    _missing_idx_files, kind="paired", **_FASHION_NETS))
for _name, _classes in translation.DOMAIN_CLASSES.items():
  DATASETS.register(_name, DatasetSpec(
      translation.FashionDomains, _name, _TRANSLATION_SHAPE, 10, _FASHION_DIR, _FASHION_HINT,
      _missing_idx_files, domains=tuple(_classes), domain_classes=_classes, **_FASHION_NETS))
# Super-resolution 4x (ganjax/data/superres.py): "hr" 28x28 is the primary field (FID's reference,
# the shipped CNN scores it), "lr" its 7x7 Pillow-bicubic copy.
DATASETS.register("fashion_mnist_sr4", DatasetSpec(
    superres.FashionMnistSr4, None, num_classes=10, default_source_dir=_FASHION_DIR,
    missing_hint=_FASHION_HINT, check_source=_missing_idx_files, **_FASHION_NETS,
    schema=(schema.image("hr", (superres.HR_SIZE, superres.HR_SIZE, 1)),
            schema.image("lr", (superres.LR_SIZE, superres.LR_SIZE, 1), role="lowres"),
            schema.label(10))))
# Colour emoji from Debian's fonts-noto-color-emoji (ganjax/data/emoji.py): 1240 train images, so
# FID compares with the train split (StyleGAN2-ADA's small-data protocol), through a CNN trained
# on that split's emoji groups (docs/metrics.md, "emoji32_cnn").
DATASETS.register("emoji32", DatasetSpec(
    emoji.Emoji32, None, (emoji.SIZE, emoji.SIZE, 3), len(emoji.GROUPS), emoji.FONT_DIR,
    emoji.MISSING_HINT, emoji.missing_font, in_memory=True, feature_net="emoji32_cnn",
    classifier="emoji32_cnn", fid_split="train"))
# 3-D occupancy grids of 10 procedural shape classes (ganjax/data/voxels.py): no image scorer fits.
DATASETS.register("voxel_shapes32", DatasetSpec(
    voxels.VoxelShapes32, None, num_classes=len(voxels.CLASSES),
    schema=(schema.voxels("voxels", (voxels.SIZE,) * 3 + (1,)), schema.label(len(voxels.CLASSES)))))
DATASETS.register("ring8", DatasetSpec(builders.ToyMixture, "ring8", (2,), 8, kind="points",
                                       in_memory=True))
DATASETS.register("grid25", DatasetSpec(builders.ToyMixture, "grid25", (2,), 25, kind="points",
                                        in_memory=True))

def _builder(spec: DatasetSpec, data_dir: str | None):
  kwargs = {"data_dir": os.path.expanduser(data_dir) if data_dir else None,
            "file_format": "array_record"}
  if spec.builder_config:
    kwargs["config"] = spec.builder_config
  return spec.builder(**kwargs)


def check_source(name: str, source_dir: str | None) -> None:
  """Raises DatasetNotFoundError naming the fix when a dataset's raw files are absent."""
  spec = dataset_spec(name)
  if spec.check_source is None:
    return
  directory = source_dir or spec.default_source_dir
  if directory is None:
    raise DatasetNotFoundError(f"Dataset {name!r} needs a source directory. {spec.missing_hint}")
  missing = spec.check_source(directory)
  if missing:
    raise DatasetNotFoundError(
        f"Dataset {name!r}: {', '.join(missing)} not found in {directory}. {spec.missing_hint}")


def prepare(dataset_cfg: Any):
  """Prepares (once) and returns the tfds builder for `dataset_cfg`."""
  spec = dataset_spec(dataset_cfg.name, dataset_cfg.get("data_dir"))
  builder = _builder(spec, dataset_cfg.get("data_dir"))
  if not builder.is_prepared():
    check_source(dataset_cfg.name, dataset_cfg.get("source_dir"))
    source_dir = dataset_cfg.get("source_dir") or spec.default_source_dir
    builder.download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=source_dir))
  return builder


class InMemorySource:
  """A tfds data source decoded once into numpy arrays; the same random access, without
  per-example decoding. arrays: field -> [N, ...]."""

  def __init__(self, source, chunk: int = 10_000):
    examples = [ex for start in range(0, len(source), chunk)
                for ex in source.__getitems__(list(range(start, min(start + chunk, len(source)))))]
    self.arrays = {k: np.stack([ex[k] for ex in examples]) for k in (examples[0] if examples else {})}
    self._len = len(examples)

  def __len__(self) -> int:
    return self._len

  def __getitem__(self, i: int) -> dict:
    return {k: v[i] for k, v in self.arrays.items()}

  def __getitems__(self, indices: Sequence[int]) -> list[dict]:
    """The examples at `indices`, as tfds data sources return them (ganjax/metrics/data.py)."""
    return [self[i] for i in indices]


class SubsetSource:
  """Examples `indices` of `source`, read through the same random access (in-memory sources keep
  their `.arrays`). indices: [n] int into `source`."""

  def __init__(self, source, indices: np.ndarray):
    self.source, self.indices = source, np.asarray(indices, np.int64)
    if hasattr(source, "arrays"):
      self.arrays = {k: v[self.indices] for k, v in source.arrays.items()}

  def __len__(self) -> int:
    return len(self.indices)

  def __getitem__(self, i: int) -> dict:
    return self.source[int(self.indices[i])]

  def __getitems__(self, indices: Sequence[int]) -> list[dict]:
    """One batched read of the parent where it has one (tfds data sources), not one per example."""
    parent = [int(self.indices[i]) for i in indices]
    if hasattr(self.source, "__getitems__"):
      return self.source.__getitems__(parent)
    return [self.source[i] for i in parent]


def training_subset(source, size: int | None, seed: int = 0):
  """`source` itself when `size` is None, else a fixed subset of `size` of its examples: the
  first `size` of a permutation seeded by `seed` (not by the training seed, so every training
  seed sees the same images), in index order. StyleGAN2-ADA's `--subset`: the limited-data
  setting of a larger dataset, scored against the whole dataset."""
  if size is None:
    return source
  if isinstance(source, DomainSources):
    raise DataFormatError("config.dataset.subset applies to datasets of one domain; unset it for "
                          "unpaired translation data.")
  if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= len(source):
    raise DataFormatError(f"config.dataset.subset={size!r}: it must be an integer in "
                          f"[1, {len(source)}] (this dataset's training examples), or None for all.")
  indices = np.sort(np.random.default_rng(seed).permutation(len(source))[:size])
  return SubsetSource(source, indices)


def data_source(dataset_cfg: Any, split: str):
  """A random-access source of `split`'s examples: {"image": uint8 [H, W, C], "label": int} for
  image datasets, {"point": float32 [2], "label": int} for toy mixtures, {"source", "target",
  "label"} for paired data (the spec's kind). For unpaired data, split "train" or "test" gives a
  DomainSources of the domains' splits and "test_a" (etc.) one domain's images."""
  spec = dataset_spec(dataset_cfg.name, dataset_cfg.get("data_dir"))
  builder = prepare(dataset_cfg)
  if spec.domains and split in ("train", "test"):
    return DomainSources({d: data_source(dataset_cfg, f"{split}_{d}") for d in spec.domains})
  if split not in builder.info.splits:
    raise DatasetNotFoundError(f"dataset {dataset_cfg.name!r} has no split {split!r}; it has "
                               f"{sorted(builder.info.splits)}.")
  source = builder.as_data_source(split=split)
  return InMemorySource(source) if spec.in_memory else source


def dataset_spec(name: str, data_dir: str | None = None) -> DatasetSpec:
  """The spec of a shipped dataset, or of a user's folder prepared by
  experiments/prepare_dataset.py (looked for in `data_dir`, then tfds' default data dir)."""
  if name in DATASETS:
    return DATASETS.get(name)
  from ganjax.data.image_folder import folder_spec
  folder = folder_spec(name, data_dir) if isinstance(name, str) else None
  if folder is None:
    try:
      DATASETS.get(name)
    except ConfigError as e:
      raise ConfigError(f"{e} Or prepare a folder of your own images under that name: python "
                        f"experiments/prepare_dataset.py --source=DIR --name={name} "
                        f"--resolution=R (docs/datasets.md).") from None
  return DatasetSpec(builder_config=None, **folder)
