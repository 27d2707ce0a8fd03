"""Dataset splits as uint8 arrays or batch streams, the form the metrics consume."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ganjax.data.sources import data_source, dataset_spec


def iter_split(dataset_cfg: Any, split: str, *, batch_size: int = 1000,
               limit: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
  """Yields (images uint8 [b, H, W, C], labels int64 [b]) over the first `limit` examples of a split,
  in order; only one batch is in memory at a time. The images are the kind's primary field (the
  targets of paired data); for unpaired data name a domain's split ("test_b")."""
  spec = dataset_spec(dataset_cfg.name)
  field = spec.primary.source_name
  source = data_source(dataset_cfg, split)
  if not hasattr(source, "__getitems__"):
    raise ValueError(f"split {split!r} of {dataset_cfg.name!r} holds several domains "
                     f"({sorted(source.domains)}); read one, e.g. {split}_{spec.domains[-1]}.")
  n = len(source) if limit is None else min(limit, len(source))
  for start in range(0, n, batch_size):
    rows = source.__getitems__(list(range(start, min(start + batch_size, n))))
    yield (np.stack([r[field] for r in rows]).astype(np.uint8),
           np.array([r["label"] for r in rows], np.int64))


def load_split(dataset_cfg: Any, split: str, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, H, W, C], labels int64 [N]) of a whole split (or its first `limit`)."""
  parts = list(iter_split(dataset_cfg, split, batch_size=5000, limit=limit))
  return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
