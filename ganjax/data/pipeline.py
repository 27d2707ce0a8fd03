"""grain pipeline: shuffle, map to model inputs, batch, per-process shard, global arrays on the mesh."""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, Callable, Sequence

import grain
import jax
import numpy as np

from ganjax.errors import DataFormatError


@dataclasses.dataclass(frozen=True)
class Kind:
  """How a dataset kind's examples become model inputs.

  fields: (stored field, model batch field) pairs; the first is the kind's primary data (what
  FID's reference statistics read). Every stored field has `dtype` and the spec's shape. Integer
  fields whose names start with "label" pass through as int32."""
  fields: tuple[tuple[str, str], ...]
  dtype: np.dtype                            # the stored dtype of every data field
  convert: Callable[[np.ndarray], np.ndarray]  # stored array -> float32 model input

  @property
  def field(self) -> str:
    """The stored primary data field."""
    return self.fields[0][0]

  @property
  def batch_field(self) -> str:
    """The model batch's name for the primary data."""
    return self.fields[0][1]

  @property
  def batch_fields(self) -> tuple[str, ...]:
    return tuple(b for _, b in self.fields)


_UINT8_TO_UNIT = lambda x: x.astype(np.float32) / 127.5 - 1.0  # noqa: E731
KINDS = {
    "image": Kind((("image", "image"),), np.dtype(np.uint8), _UINT8_TO_UNIT),
    "points": Kind((("point", "points"),), np.dtype(np.float32), lambda x: x),
    # Paired translation (pix2pix): the target image is the primary field (FID compares to it).
    "paired": Kind((("target", "target"), ("source", "source")), np.dtype(np.uint8), _UINT8_TO_UNIT),
}


def _checked(arrays: dict, shape: Sequence[int], kind: str, batched: bool) -> dict[str, np.ndarray]:
  """{batch field: stored array} of the kind's data fields of `arrays`, each checked against the
  kind's dtype and the per-example `shape`."""
  k = KINDS[kind]
  out = {}
  for stored, batch_field in k.fields:
    if stored not in arrays:
      raise DataFormatError(f"example lacks field {stored!r} (has {sorted(arrays)}); check the "
                            f"dataset builder.")
    data = np.asarray(arrays[stored])
    example_shape = data.shape[1:] if batched else data.shape
    if data.dtype != k.dtype or example_shape != tuple(shape):
      raise DataFormatError(f"field {stored!r}: expected {k.dtype} {tuple(shape)}, got {data.dtype} "
                            f"{example_shape}; re-prepare the dataset or fix its builder.")
    out[batch_field] = data
  return out


def _with_labels(out: dict, arrays: dict) -> dict:
  for name, value in arrays.items():
    if name.startswith("label"):
      out[name] = np.asarray(value).astype(np.int32)
  return out


def to_model_input(example: dict, shape: Sequence[int], kind: str = "image") -> dict:
  """One example -> {batch field: float32 data, "label": int32 (if present)}.

  kind "image": {"image": uint8 [H, W, C]} -> {"image": float32 [H, W, C] in [-1, 1]};
  kind "points": {"point": float32 [D]} -> {"points": float32 [D]} unchanged;
  kind "paired": {"source", "target": uint8 [H, W, C]} -> the same names in [-1, 1].
  """
  convert = KINDS[kind].convert
  out = {f: convert(x) for f, x in _checked(example, shape, kind, batched=False).items()}
  return _with_labels(out, example)


def to_model_batch(arrays: dict, shape: Sequence[int], kind: str = "image") -> dict:
  """`to_model_input` for stacked examples: fields [b, ...] -> {batch field: [b, *shape] float32,
  "label": [b] int32 (if present)}, converted in one array operation."""
  convert = KINDS[kind].convert
  out = {f: convert(x) for f, x in _checked(arrays, shape, kind, batched=True).items()}
  return _with_labels(out, arrays)


def read_examples(source, indices: np.ndarray) -> dict:
  """Examples `indices` of `source`, stacked per field: one fancy index for an in-memory source
  (`.arrays`), a batched read where the source has `__getitems__` (tfds data sources)."""
  if hasattr(source, "arrays"):
    return {k: v[indices] for k, v in source.arrays.items()}
  indices = [int(i) for i in indices]
  examples = source.__getitems__(indices) if hasattr(source, "__getitems__") else \
      [source[i] for i in indices]
  return {k: np.stack([np.asarray(ex[k]) for ex in examples]) for k in examples[0]}


def class_balanced_order(labels: np.ndarray, seed: int, epoch: int) -> np.ndarray:
  """An epoch's order of N example indices in which every run of K consecutive indices holds one
  example of each of the K classes present (in a shuffled class order), so a batch of b holds
  b / K of each class whatever the dataset's class frequencies. Each class's examples come in a
  shuffled order, repeated as often as needed: rare classes are oversampled, common ones
  visited partly in one epoch, continuing where they stopped the next (the seed fixes all)."""
  labels = np.asarray(labels)
  classes = np.unique(labels)
  k, n = len(classes), len(labels)
  rounds = -(-n // k)
  rng = np.random.default_rng([seed, epoch, 0xBA1])
  columns = []
  for c in classes:
    members = np.flatnonzero(labels == c)
    # The class's shuffled cycle, continued across epochs: epoch e starts at position e * rounds.
    start = epoch * rounds
    cycles = [np.random.default_rng([seed, int(c), start // len(members) + i]).permutation(members)
              for i in range(rounds // len(members) + 2)]
    columns.append(np.concatenate(cycles)[start % len(members): start % len(members) + rounds])
  table = np.stack(columns, axis=1)  # [rounds, K]
  for r in range(rounds):
    table[r] = table[r][rng.permutation(k)]
  return table.reshape(-1)[:n]


@dataclasses.dataclass(frozen=True)
class DomainSources:
  """Unpaired translation data (CycleGAN, DiscoGAN): one image source per domain, e.g.
  {"a": sneakers, "b": ankle boots}. Each domain is read in its own shuffled order, so every epoch
  pairs different examples, as the reference's unaligned datasets do; len() is the larger domain's."""
  domains: dict

  def __len__(self) -> int:
    return max(len(s) for s in self.domains.values())


def _batch_reader(source, *, global_batch_size: int, seed, shape, kind: str, process_index: int,
                  process_count: int, balance_labels: np.ndarray | None) -> Callable[[int], dict]:
  """k -> this process's rows of global batch k (see make_train_dataset)."""
  n, local = len(source), global_batch_size // process_count
  per_epoch = n // global_batch_size
  if per_epoch == 0:
    raise DataFormatError(f"the dataset has {n} examples, fewer than one global batch of "
                          f"{global_batch_size}; lower config.batch_size.")
  if balance_labels is not None and len(balance_labels) != n:
    raise DataFormatError(f"balance_labels has {len(balance_labels)} labels for {n} examples.")
  seed = list(np.atleast_1d(seed))
  order = functools.lru_cache(maxsize=2)(
      (lambda epoch: np.random.default_rng([*seed, epoch]).permutation(n)) if balance_labels is None
      else (lambda epoch: class_balanced_order(balance_labels, seed[0], epoch)))

  def read(k: int) -> dict:
    epoch, pos = divmod(int(k), per_epoch)
    start = pos * global_batch_size + process_index * local
    return to_model_batch(read_examples(source, order(epoch)[start:start + local]), shape, kind)

  return read


def make_train_dataset(source, *, global_batch_size: int, seed: int, shape: Sequence[int],
                       kind: str = "image", process_index: int = 0, process_count: int = 1,
                       num_threads: int = 2, prefetch: int = 4,
                       balance_labels: np.ndarray | None = None) -> grain.IterDataset:
  """An endless stream of this process's share of each global batch, reshuffled every epoch.

  Global batch k of epoch e = k // (N // global_batch_size) takes the next global_batch_size
  indices of a permutation of the N examples seeded by (seed, e) (the last N % global_batch_size
  of each epoch's order are skipped); process p takes its contiguous block, rows
  [p * b, (p + 1) * b) with b = global_batch_size // process_count, so the global batch the
  processes assemble is the one a single process would read, whatever the process count. Yields
  {"image": [b, *shape] float32 in [-1, 1] (or the kind's fields), "label": [b] int32}. Each batch
  is read and converted in a few array operations (grain's per-example path cost ~11 ms of CPU per
  batch of 32 here). The iterator's `get_state()` (the next batch number) is saved in checkpoints
  so that a resumed run sees the same batches. With `balance_labels` ([N] int, the source's
  labels) each epoch's order is `class_balanced_order` instead: class-balanced batches.

  A `DomainSources` yields {"a": [b, *shape], "label_a": [b], "b": ..., "label_b": ...}: domain
  i is read by its own order, seeded by (seed, i, epoch of that domain).
  """
  common = dict(global_batch_size=global_batch_size, shape=shape, kind=kind,
                process_index=process_index, process_count=process_count)
  if isinstance(source, DomainSources):
    if balance_labels is not None:
      raise DataFormatError("class-balanced sampling needs a labelled dataset of one domain; "
                            "set config.dataset.class_balanced = False for unpaired data.")
    readers = {name: _batch_reader(src, seed=[seed, i], balance_labels=None, **common)
               for i, (name, src) in enumerate(sorted(source.domains.items()))}

    def read(k: int) -> dict:
      out = {}
      for name, read_domain in readers.items():
        batch = read_domain(k)
        out[name], out[f"label_{name}"] = batch[KINDS[kind].batch_field], batch["label"]
      return out
  else:
    read = _batch_reader(source, seed=seed, balance_labels=balance_labels, **common)

  ds = grain.MapDataset.range(sys.maxsize).map(read)
  return ds.to_iter_dataset(grain.ReadOptions(num_threads=num_threads, prefetch_buffer_size=prefetch))


def source_labels(source) -> np.ndarray:
  """Every example's label [N] int (read once, in batches of 1000, for class-balanced sampling)."""
  if hasattr(source, "arrays"):
    return np.asarray(source.arrays["label"])
  n = len(source)
  return np.concatenate([read_examples(source, np.arange(s, min(s + 1000, n)))["label"]
                         for s in range(0, n, 1000)]).astype(np.int64)


def global_batch(local_batch: dict, sharding: jax.sharding.Sharding) -> dict[str, Any]:
  """Assembles each process's local batch into global `jax.Array`s sharded on the mesh."""
  return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), local_batch)
