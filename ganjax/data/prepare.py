"""Prepares datasets as tfds ArrayRecords ahead of training.

  python -m ganjax.data.prepare fashion_mnist fashion_mnist32 emoji32 digits ring8 [--data_dir=DIR]

With no names it prepares every registered dataset (ganjax/data/sources.py DATASETS).
"""

from __future__ import annotations

import sys

import ml_collections

from ganjax.data.sources import DATASETS, prepare
from ganjax.errors import GanjaxError


def main(argv: list[str]) -> int:
  data_dir = None
  names = []
  for arg in argv:
    if arg.startswith("--data_dir="):
      data_dir = arg.split("=", 1)[1]
    else:
      names.append(arg)
  for name in names or DATASETS.names():
    try:
      builder = prepare(ml_collections.ConfigDict(dict(name=name, source_dir=None, data_dir=data_dir)))
    except GanjaxError as e:
      print(f"ganjax: {type(e).__name__}: {e}", file=sys.stderr)
      return 1
    splits = {k: v.num_examples for k, v in builder.info.splits.items()}
    print(f"{name}: {splits} in {builder.data_dir}")
  return 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
