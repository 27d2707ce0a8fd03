"""A user's folder of images as a tfds dataset (experiments/prepare_dataset.py), and its spec.

  DIR/cat/001.png, DIR/dog/x.jpg ...   --labels=subfolders: the first-level folder is the class
  DIR/**/*.png                         --labels=none: one unlabelled set

`plan_folder` reads every file once (decoding it, so a corrupt one is found now, not hours into a
run) and returns a `FolderPlan`: the accepted files per split with their labels, what was
converted, skipped and why, and a fingerprint of the inputs and options. `write_folder` writes it
as ArrayRecord through tfds (`FolderImages`, which decodes each file again) under
DATA_DIR/folder_images/NAME/1.0.0, then `ganjax_dataset.json` beside the version folder: a run
reads a dataset only once that file exists, so an interrupted preparation (tfds writes into an
`incomplete.*` folder first) is never read as complete, and rerunning starts it again.

`folder_spec(name, data_dir)` holds the DatasetSpec fields of a prepared folder (sources.py builds
the spec, so this module needs nothing of it): schema {"image": uint8
[R, R, C], "label"} (no label field with --labels=none); no feature network is known for it.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import shutil

import numpy as np
import tensorflow_datasets as tfds

from ganjax.data import image_files
from ganjax.errors import ConfigError, DatasetNotFoundError

BUILDER_NAME = "folder_images"
VERSION = "1.0.0"
METADATA = "ganjax_dataset.json"
LABEL_MODES = ("subfolders", "none")


@dataclasses.dataclass
class FolderPlan:
  """What a preparation will write. splits: split -> [(relative path, label or -1)]."""
  source: str
  options: dict
  class_names: tuple[str, ...]
  splits: dict
  skipped: list            # [(relative path, reason)]
  converted: collections.Counter
  sizes: collections.Counter
  modes: collections.Counter
  duplicates: int
  fingerprint: str

  @property
  def per_class(self) -> dict:
    counts = collections.Counter(label for files in self.splits.values() for _, label in files)
    return {name: counts[i] for i, name in enumerate(self.class_names)}

  def summary(self) -> str:
    """The report printed before anything is written."""
    n = {s: len(f) for s, f in self.splits.items()}
    lines = [f"{self.source}: {sum(n.values())} images accepted ({', '.join(f'{k} {v}' for k, v in n.items())}), "
             f"{len(self.skipped)} files skipped, {self.duplicates} exact duplicates dropped",
             f"  writes uint8 [{self.options['resolution']}, {self.options['resolution']}, "
             f"{self.options['channels']}] by {self.options['transform']} "
             f"({image_files.TRANSFORMS[self.options['transform']]})"]
    if self.class_names:
      lines.append("  per class: " + ", ".join(f"{k} {v}" for k, v in self.per_class.items()))
    lines.append("  source sizes: " + ", ".join(f"{w}x{h} {c}" for (w, h), c in self.sizes.most_common(5))
                 + (" ..." if len(self.sizes) > 5 else ""))
    lines.append("  source modes: " + ", ".join(f"{m} {c}" for m, c in self.modes.most_common()))
    for what, count in sorted(self.converted.items()):
      lines.append(f"  converted: {what}: {count}")
    for path, why in self.skipped[:20]:
      lines.append(f"  skipped: {path}: {why}")
    if len(self.skipped) > 20:
      lines.append(f"  skipped: ... and {len(self.skipped) - 20} more (all in {METADATA})")
    return "\n".join(lines)


def _label_of(name: str, labels: str) -> str | None:
  if labels == "none":
    return ""
  parts = name.split("/")
  return parts[0] if len(parts) > 1 else None


def _test_indices(n: int, fraction: float) -> int:
  """How many of a class's n files go to the test split: round(n * fraction), at least one when
  the class has two or more files and fraction > 0."""
  k = int(round(n * fraction))
  return max(k, 1) if fraction > 0 and n >= 2 else k


def plan_folder(source: str, *, resolution: int, channels: int = 3, transform: str = "center-crop",
                labels: str = "subfolders", test_fraction: float = 0.1, max_images: int | None = None,
                upscale: bool = False, strict: bool = False, progress=None) -> FolderPlan:
  """Reads and checks every file of `source` (a directory or a .zip); ConfigError for options or
  a folder that cannot make a dataset, naming the fix."""
  if not os.path.exists(source):
    raise DatasetNotFoundError(f"--source={source}: no such directory or .zip file.")
  if labels not in LABEL_MODES:
    raise ConfigError(f"--labels={labels!r}: one of {', '.join(LABEL_MODES)}.")
  if transform not in image_files.TRANSFORMS:
    raise ConfigError(f"--transform={transform!r}: one of {', '.join(image_files.TRANSFORMS)}.")
  if channels not in (1, 3):
    raise ConfigError(f"--channels={channels}: 1 (grey) or 3 (RGB).")
  if not isinstance(resolution, int) or resolution < 4:
    raise ConfigError(f"--resolution={resolution}: an integer >= 4 (pixels per side).")
  if not 0.0 <= test_fraction < 1.0:
    raise ConfigError(f"--test_fraction={test_fraction}: in [0, 1).")
  files = image_files.ImageFiles(source)
  names, skipped = [], []
  for name in files.names():
    why = image_files.not_an_image(name) or (
        "not in a class subfolder (--labels=subfolders reads DIR/CLASS/FILE)"
        if _label_of(name, labels) is None else None)
    (skipped.append((name, why)) if why else names.append(name))
  if not names:
    raise ConfigError(f"--source={source}: no image files found (read {', '.join(image_files.IMAGE_SUFFIXES)}"
                      + (" inside class subfolders DIR/CLASS/FILE" if labels == "subfolders" else "")
                      + f"; {len(skipped)} other files).")
  if max_images is not None:
    names = names[:max_images]
  accepted, seen = collections.defaultdict(list), set()
  converted, sizes, modes, duplicates = collections.Counter(), collections.Counter(), collections.Counter(), 0
  digest = hashlib.sha256(json.dumps([resolution, channels, transform, labels, test_fraction,
                                      upscale]).encode())
  for name in (progress(names) if progress else names):
    got = image_files.load_image(files.read(name), resolution, channels, transform, upscale=upscale)
    digest.update(f"{name}\0{got.sha1}\0".encode())
    if got.skipped:
      if strict:
        raise ConfigError(f"{name}: {got.skipped} (--strict refuses any bad file; drop --strict "
                          f"to skip and report such files).")
      skipped.append((name, got.skipped))
      continue
    if got.sha1 in seen:
      duplicates += 1
      continue
    seen.add(got.sha1)
    sizes[got.size] += 1
    modes[got.mode] += 1
    converted.update(got.converted)
    accepted[_label_of(name, labels)].append(name)
  if not accepted:
    raise ConfigError(f"--source={source}: none of its {len(names)} image files could be used "
                      f"(e.g. {skipped[0][0]}: {skipped[0][1]}).")
  class_names = tuple(sorted(accepted)) if labels == "subfolders" else ()
  if labels == "subfolders" and len(class_names) < 2:
    raise ConfigError(f"--labels=subfolders found one class ({class_names[0]!r}): a labelled "
                      f"dataset needs two or more class folders; use --labels=none for one set.")
  splits = {"train": [], "test": []}
  for key in sorted(accepted):
    label = class_names.index(key) if class_names else -1
    # Each file's split depends on its own path only, so adding files never moves others.
    ordered = sorted(accepted[key], key=lambda n: hashlib.sha1(n.encode()).hexdigest())
    k = _test_indices(len(ordered), test_fraction)
    splits["test"] += [(n, label) for n in sorted(ordered[:k])]
    splits["train"] += [(n, label) for n in sorted(ordered[k:])]
  if not splits["train"]:
    raise ConfigError(f"--source={source}: too few images for a train split; lower --test_fraction.")
  options = dict(resolution=resolution, channels=channels, transform=transform, labels=labels,
                 test_fraction=test_fraction, upscale=upscale, max_images=max_images)
  return FolderPlan(os.path.abspath(source), options, class_names, splits, skipped, converted,
                    sizes, modes, duplicates, digest.hexdigest()[:16])


@dataclasses.dataclass
class FolderConfig(tfds.core.BuilderConfig):
  """The BuilderConfig of one prepared folder: name = the dataset's name."""
  plan: FolderPlan | None = None


class FolderImages(tfds.core.GeneratorBasedBuilder):
  """Writes a FolderPlan's files, decoded again with the plan's options."""

  VERSION = tfds.core.Version(VERSION)

  def _info(self):
    plan = self.builder_config.plan
    r, c = plan.options["resolution"], plan.options["channels"]
    features = {"image": tfds.features.Tensor(shape=(r, r, c), dtype=np.uint8)}
    if plan.class_names:
      features["label"] = tfds.features.ClassLabel(names=list(plan.class_names))
    return tfds.core.DatasetInfo(builder=self, features=tfds.features.FeaturesDict(features),
                                 description=f"Images of {plan.source} (ganjax prepare_dataset.py).")

  def _split_generators(self, dl_manager):
    del dl_manager
    return {split: self._generate_examples(files)
            for split, files in self.builder_config.plan.splits.items() if files}

  def _generate_examples(self, files):
    plan = self.builder_config.plan
    reader, o = image_files.ImageFiles(plan.source), plan.options
    for name, label in files:
      got = image_files.load_image(reader.read(name), o["resolution"], o["channels"],
                                   o["transform"], upscale=o["upscale"])
      if got.image is None:  # the file changed since plan_folder read it
        raise ConfigError(f"{name} changed during preparation ({got.skipped}); rerun.")
      yield name, ({"image": got.image, "label": label} if plan.class_names else {"image": got.image})


def data_dirs(data_dir: str | None = None) -> list[str]:
  """Where prepared folders are looked for: `data_dir` if given, then tfds' default
  ($TFDS_DATA_DIR or ~/tensorflow_datasets)."""
  default = os.path.expanduser(os.environ.get("TFDS_DATA_DIR", "~/tensorflow_datasets"))
  return [os.path.expanduser(d) for d in (data_dir, default) if d]


def dataset_dir(name: str, data_dir: str) -> str:
  return os.path.join(os.path.expanduser(data_dir), BUILDER_NAME, name)


def read_metadata(name: str, data_dir: str | None = None) -> tuple[dict, str] | None:
  """(metadata, directory) of the prepared folder dataset `name`, or None."""
  for d in data_dirs(data_dir):
    path = os.path.join(dataset_dir(name, d), METADATA)
    if os.path.isfile(path):
      with open(path) as f:
        return json.load(f), dataset_dir(name, d)
  return None


def write_folder(plan: FolderPlan, name: str, data_dir: str | None = None, *,
                 overwrite: bool = False) -> str:
  """Writes `plan` as the dataset `name`; returns its directory. A dataset of that name prepared
  from other files or options is refused unless `overwrite`; the same one is left as it is."""
  root = dataset_dir(name, data_dirs(data_dir)[0])
  meta_path = os.path.join(root, METADATA)
  if os.path.isfile(meta_path):
    with open(meta_path) as f:
      old = json.load(f)
    if old["fingerprint"] == plan.fingerprint:
      return root
    if not overwrite:
      raise ConfigError(f"dataset {name!r} exists in {root}, prepared from {old['source']} with "
                        f"{old['options']}; pass --overwrite to replace it (runs trained on it "
                        f"then read the new images), or choose another --name.")
  if os.path.isdir(root):  # an older or interrupted preparation: start again
    shutil.rmtree(root)
  builder = FolderImages(config=FolderConfig(name=name, plan=plan), data_dir=data_dirs(data_dir)[0],
                         file_format="array_record")
  builder.download_and_prepare()
  metadata = dict(name=name, source=plan.source, options=plan.options, fingerprint=plan.fingerprint,
                  class_names=list(plan.class_names), per_class=plan.per_class,
                  splits={k: len(v) for k, v in plan.splits.items()},
                  skipped=[list(s) for s in plan.skipped], converted=dict(plan.converted),
                  duplicates=plan.duplicates, version=VERSION)
  with open(meta_path + ".tmp", "w") as f:
    json.dump(metadata, f, indent=1)
  os.replace(meta_path + ".tmp", meta_path)  # the dataset exists for runs from here on
  return root


def folder_reader(name: str):
  """A builder factory for DatasetSpec: the prepared dataset read back from its files."""
  def build(data_dir: str | None = None, file_format: str | None = None, config=None):
    del file_format, config
    found = read_metadata(name, data_dir)
    if found is None:
      raise DatasetNotFoundError(f"dataset {name!r} is not prepared in {data_dirs(data_dir)}; run "
                                 f"`python experiments/prepare_dataset.py --source=DIR --name={name} "
                                 f"--resolution=R`.")
    return tfds.builder_from_directory(os.path.join(found[1], VERSION))
  return build


def folder_spec(name: str, data_dir: str | None = None) -> dict | None:
  """The DatasetSpec fields of the prepared folder `name` (builder, num_classes, schema,
  in_memory: ganjax/data/sources.py builds the spec), or None if there is none."""
  from ganjax.data import schema
  found = read_metadata(name, data_dir)
  if found is None:
    return None
  meta = found[0]
  r, c = meta["options"]["resolution"], meta["options"]["channels"]
  fields = [schema.image("image", (r, r, c))]
  if meta["class_names"]:
    fields.append(schema.label(len(meta["class_names"])))
  return dict(builder=folder_reader(name), num_classes=len(meta["class_names"]),
              schema=tuple(fields), in_memory=sum(meta["splits"].values()) * r * r * c < 2**30)
