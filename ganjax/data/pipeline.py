"""grain pipeline: shuffle, map to model inputs, batch, per-process shard, global arrays on the mesh."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterator, Sequence

import grain
import jax
import numpy as np

from ganjax.errors import DataFormatError


@dataclasses.dataclass(frozen=True)
class Kind:
  """How a dataset kind's examples become model inputs."""
  field: str                                 # the example's data field
  dtype: np.dtype                            # its stored dtype
  convert: Callable[[np.ndarray], np.ndarray]  # stored array -> float32 model input


# Model inputs keep the data under "image" whatever its kind: the objectives read batch["image"].
KINDS = {
    "image": Kind("image", np.dtype(np.uint8), lambda x: x.astype(np.float32) / 127.5 - 1.0),
    "points": Kind("point", np.dtype(np.float32), lambda x: x),
}


def to_model_input(example: dict, shape: Sequence[int], kind: str = "image") -> dict:
  """One example -> {"image": float32 data, "label": int32 (if present)}.

  kind "image": {"image": uint8 [H, W, C]} -> float32 [H, W, C] in [-1, 1];
  kind "points": {"point": float32 [D]} -> float32 [D] unchanged.
  """
  k = KINDS[kind]
  if k.field not in example:
    raise DataFormatError(f"example lacks field {k.field!r} (has {sorted(example)}); check the "
                          f"dataset builder.")
  data = np.asarray(example[k.field])
  if data.dtype != k.dtype or data.shape != tuple(shape):
    raise DataFormatError(f"field {k.field!r}: expected {k.dtype} {tuple(shape)}, got {data.dtype} "
                          f"{data.shape}; re-prepare the dataset or fix its builder.")
  out = {"image": k.convert(data)}
  if "label" in example:
    out["label"] = np.int32(example["label"])
  return out


def make_train_dataset(source, *, global_batch_size: int, seed: int, shape: Sequence[int],
                       kind: str = "image", process_index: int = 0, process_count: int = 1,
                       num_threads: int = 2, prefetch: int = 4) -> grain.IterDataset:
  """An endless, per-epoch reshuffled stream of this process's share of each global batch.

  Every process walks the same shuffled order and takes its contiguous block of each global
  batch (rows [p * b, (p + 1) * b) with b = global_batch_size // process_count), so the global
  batch the processes assemble is the one a single process would read, whatever the process
  count. Yields {"image": [b, *shape] float32 (images in [-1, 1]), "label": [b] int32}. The iterator's
  `get_state()` is saved in checkpoints so that a resumed run sees the same batches.
  """
  local = global_batch_size // process_count
  ds = grain.MapDataset.source(source).shuffle(seed=seed).repeat(None)  # new order every epoch
  ds = ds.map(lambda ex: to_model_input(ex, shape, kind)).batch(local, drop_remainder=True)
  ds = ds[process_index::process_count]  # local batch k*count + p is process p's part of step k
  return ds.to_iter_dataset(grain.ReadOptions(num_threads=num_threads, prefetch_buffer_size=prefetch))


def make_eval_batches(source, *, batch_size: int, shape: Sequence[int], kind: str = "image",
                      limit: int | None = None) -> Iterator[dict]:
  """Yields the first `limit` (default all) examples of `source` in order, in batches."""
  n = len(source) if limit is None else min(limit, len(source))
  ds = grain.MapDataset.range(n).map(lambda i: to_model_input(source[int(i)], shape, kind))
  return iter(ds.batch(batch_size, drop_remainder=False))


def global_batch(local_batch: dict, sharding: jax.sharding.Sharding) -> dict[str, Any]:
  """Assembles each process's local batch into global `jax.Array`s sharded on the mesh."""
  return jax.tree.map(lambda x: jax.make_array_from_process_local_data(sharding, x), local_batch)
