r"""The k-means baseline for InfoGAN's code accuracy: k-means on raw pixels of a dataset split,
clusters matched one-to-one to the classes by the Hungarian algorithm (ganjax/metrics/conditional.py).

  python benchmarks/kmeans_baseline.py --dataset=fashion_mnist --split=test --k=10 --seeds=0,1,2

An unsupervised categorical code that finds the classes should beat this figure. Prints one JSON
line per seed (accuracy, seconds) and a summary line (mean, std, total seconds).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from ganjax.metrics.conditional import kmeans_baseline  # noqa: E402
from ganjax.metrics.data import load_split  # noqa: E402

_DATASET = flags.DEFINE_string("dataset", "fashion_mnist", "Dataset (a DATASETS name).")
_SPLIT = flags.DEFINE_string("split", "test", "Its split.")
_LIMIT = flags.DEFINE_integer("limit", None, "Only the split's first N images (default: all).")
_K = flags.DEFINE_integer("k", 10, "Clusters (the dataset's classes).")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1", "2"], "k-means seeds, one run each.")
_N_INIT = flags.DEFINE_integer("n_init", 10, "k-means restarts per run (>= 10).")


def main(argv):
  del argv
  cfg = ml_collections.ConfigDict(dict(name=_DATASET.value, source_dir=None, data_dir=None))
  images, labels = load_split(cfg, _SPLIT.value, limit=_LIMIT.value)
  accuracies, total = [], 0.0
  for seed in map(int, _SEEDS.value):
    start = time.perf_counter()
    acc = kmeans_baseline(images, labels, _K.value, seed=seed, n_init=_N_INIT.value)
    seconds = time.perf_counter() - start
    accuracies.append(acc)
    total += seconds
    print(json.dumps({"dataset": _DATASET.value, "split": _SPLIT.value, "num_images": len(images),
                      "k": _K.value, "n_init": _N_INIT.value, "seed": seed,
                      "accuracy": round(acc, 4), "seconds": round(seconds, 1)}), flush=True)
  print(json.dumps({"dataset": _DATASET.value, "split": _SPLIT.value, "num_images": len(images),
                    "k": _K.value, "seeds": [int(s) for s in _SEEDS.value],
                    "accuracy_mean": round(float(np.mean(accuracies)), 4),
                    "accuracy_std": round(float(np.std(accuracies)), 4),
                    "seconds_total": round(total, 1)}))


if __name__ == "__main__":
  app.run(main)
