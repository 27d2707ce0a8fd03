r"""Peak memory (RSS) and time to score 50k samples with FID, KID, IS and precision/recall.

  python benchmarks/metrics_memory.py --num_samples=50000 --metrics=fid,kid,is,pr

The "samples" are the Fashion-MNIST train split streamed batch by batch (as a generator's samples
would be), scored through the domain feature network against the test split (reference statistics
computed afresh, not from the cache). Prints one JSON line.
"""

import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ml_collections  # noqa: E402
from absl import app, flags  # noqa: E402

from ganjax.metrics.data import iter_split  # noqa: E402
from ganjax.metrics.evaluation import evaluate, reference_summary  # noqa: E402
from ganjax.metrics.features import build_feature_net  # noqa: E402

_NUM = flags.DEFINE_integer("num_samples", 50_000, "Samples to score (at most 60000: the train split).")
_METRICS = flags.DEFINE_string("metrics", "fid,kid,is,pr", "Metrics.")
_NET = flags.DEFINE_string("feature_net", "fashion_mnist_cnn", "Feature network.")


def _peak_rss_mib() -> float:
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def main(argv):
  del argv
  cfg = ml_collections.ConfigDict(dict(name="fashion_mnist", source_dir=None, data_dir=None))
  start = time.perf_counter()
  net = build_feature_net(_NET.value)
  real = reference_summary(net, cfg, "test", use_cache=False)
  ref_s = time.perf_counter() - start
  rss_ref = _peak_rss_mib()
  start = time.perf_counter()
  scores = evaluate(net, (images for images, _ in iter_split(cfg, "train", limit=_NUM.value)), real,
                    _METRICS.value.split(","))
  score_s = time.perf_counter() - start
  print(json.dumps({"num_samples": _NUM.value, "metrics": _METRICS.value, "feature_net": _NET.value,
                    "reference_seconds": round(ref_s, 1), "score_seconds": round(score_s, 1),
                    "peak_rss_mib_after_reference": round(rss_ref), "peak_rss_mib": round(_peak_rss_mib()),
                    "scores": {k: round(v, 5) for k, v in scores.items()}}))


if __name__ == "__main__":
  app.run(main)
