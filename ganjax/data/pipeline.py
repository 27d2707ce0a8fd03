"""grain pipeline: shuffle, map to model inputs, batch, per-process shard, global arrays on the mesh."""

from __future__ import annotations

import dataclasses
import functools
import sys
from typing import Any, Callable, Sequence

import grain
import jax
import numpy as np

from ganjax.data.schema import Field, convert_example
from ganjax.errors import DataFormatError


def to_model_input(example: dict, fields: Sequence[Field]) -> dict:
  """One stored example -> {field: model input} by the schema `fields` (ganjax/data/schema.py):
  e.g. {"image": uint8 [H, W, C], "label": int} -> {"image": float32 [H, W, C] in [-1, 1],
  "label": int32}. Every field is checked against its dtype and per-example shape."""
  return convert_example(fields, example, batched=False)


def to_model_batch(arrays: dict, fields: Sequence[Field]) -> dict:
  """`to_model_input` for stacked examples: {stored name: [b, ...]} -> {field: [b, *shape]},
  converted in one array operation per field."""
  return convert_example(fields, arrays, batched=True)


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


def _batch_reader(source, *, global_batch_size: int, seed, fields, process_index: int,
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
    return to_model_batch(read_examples(source, order(epoch)[start:start + local]), fields)

  return read


def make_train_dataset(source, *, global_batch_size: int, seed: int, fields: Sequence[Field],
                       process_index: int = 0, process_count: int = 1,
                       num_threads: int = 2, prefetch: int = 4,
                       balance_labels: np.ndarray | None = None) -> grain.IterDataset:
  """An endless stream of this process's share of each global batch, reshuffled every epoch.

  Global batch k of epoch e = k // (N // global_batch_size) takes the next global_batch_size
  indices of a permutation of the N examples seeded by (seed, e) (the last N % global_batch_size
  of each epoch's order are skipped); process p takes its contiguous block, rows
  [p * b, (p + 1) * b) with b = global_batch_size // process_count, so the global batch the
  processes assemble is the one a single process would read, whatever the process count. Yields
  {field: [b, *field shape]} for every field of the schema `fields` (ganjax/data/schema.py), e.g.
  {"image": float32 in [-1, 1], "label": int32}. Each batch
  is read and converted in a few array operations (grain's per-example path cost ~11 ms of CPU per
  batch of 32 here). The iterator's `get_state()` (the next batch number) is saved in checkpoints
  so that a resumed run sees the same batches. With `balance_labels` ([N] int, the source's
  labels) each epoch's order is `class_balanced_order` instead: class-balanced batches.

  A `DomainSources` yields the fields of each domain ({"a": [b, ...], "label_a": [b], "b": ...}:
  the schema's fields with that `domain`): domain i is read by its own order, seeded by (seed, i,
  epoch of that domain).
  """
  common = dict(global_batch_size=global_batch_size, process_index=process_index,
                process_count=process_count)
  if isinstance(source, DomainSources):
    if balance_labels is not None:
      raise DataFormatError("class-balanced sampling needs a labelled dataset of one domain; "
                            "set config.dataset.class_balanced = False for unpaired data.")
    readers = [_batch_reader(src, seed=[seed, i], balance_labels=None,
                             fields=[f for f in fields if f.domain == name], **common)
               for i, (name, src) in enumerate(sorted(source.domains.items()))]

    def read(k: int) -> dict:
      return {name: x for read_domain in readers for name, x in read_domain(k).items()}
  else:
    read = _batch_reader(source, seed=seed, balance_labels=balance_labels,
                         fields=[f for f in fields if f.domain is None], **common)

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
