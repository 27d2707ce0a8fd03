r"""Scores a GAN's samples against a dataset split; prints a table, appends to metrics.jsonl.

  python experiments/evaluate.py --workdir=DIR --metrics=fid,kid,is,pr --num_samples=10000
  python experiments/evaluate.py --samples=samples.npy --metrics=fid,kid --dataset=fashion_mnist

--workdir: its newest checkpoint's EMA generator draws --num_samples samples; the row goes to
DIR/metrics.jsonl. --samples: a uint8 [N, H, W, C] .npy from any program, with the dataset's H, W,
C (--labels=FILE.npy adds the int class labels [N] that "ifid" and "cacc" need); the row goes to
--out_jsonl, or DIR/metrics.jsonl when --workdir is given too. A file of another kind stops with a
one-line "ganjax: DataFormatError: ..." that says what it holds and how to convert it.
The feature network and the split default to the dataset's (ganjax/data/sources.py DatasetSpec):
fashion_mnist_cnn and test for Fashion-MNIST data (32x32 fashion_mnist32 read by its centre
28x28), emoji32_cnn and train for emoji32.
Metrics: fid, kid, is, pr (precision/recall), dc (density/coverage), and for conditional and
latent-code models (ganjax/metrics/conditional.py):
  ifid      intra-class FID: samples of each requested class vs that class's real images
            (intra_class_fid, intra_class_fid_class_<c>)
  cacc      conditional accuracy: the dataset's shipped classifier (fashion_mnist_cnn,
            emoji32_cnn) on samples of each requested class (conditional_accuracy,
            conditional_accuracy_class_<c>); datasets without one: skipped with a note
  code_acc  InfoGAN's Q-head code on the test images, matched to the classes by the Hungarian
            algorithm (code_accuracy, code_accuracy_class_<c>, and code_mapping in the row)
  ppl       StyleGAN2: perceptual path length in W (ppl, ppl_median; ganjax/metrics/ppl.py)
  translation  pix2pix, CycleGAN, DiscoGAN runs (alone): per-direction FID, accuracy, cycle L1,
            L1 / SSIM of the test split's translations (ganjax/metrics/translation.py)
Default: fid,kid,is,pr, plus ifid,cacc for a class-conditional run, code_acc for an InfoGAN run,
ppl for a StyleGAN2 run; translation for a translation run. What each metric reads, and the error
that names what a run or file lacks for one: ganjax/metrics/registry.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

from ganjax.errors import GanjaxError  # noqa: E402
from ganjax.metrics.evaluation import format_table  # noqa: E402
from ganjax.metrics.features import FEATURE_NETS  # noqa: E402
from ganjax.metrics.scoring import append_jsonl, score  # noqa: E402
from ganjax.metrics.summary import DEFAULT_KEEP_FEATURES  # noqa: E402
from ganjax.reporting import quiet_library_logs  # noqa: E402
from ganjax.train.restore import load_config, restore_run  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (config.json, checkpoints/).")
_SAMPLES = flags.DEFINE_string("samples", None, "A .npy of uint8 [N, H, W, C] samples (values 0..255, "
                               "the --dataset's H, W, C) to score instead.")
_LABELS = flags.DEFINE_string("labels", None, "With --samples: a .npy of int labels [N] (for ifid).")
_METRICS = flags.DEFINE_string("metrics", None, "Comma-separated metric names (default: fid,kid,is,pr, "
                               "plus ifid,cacc for conditional runs, code_acc for InfoGAN runs).")
_NUM = flags.DEFINE_integer("num_samples", None, "Samples to score (default: 10000 from a workdir, "
                            "all of a --samples file).")
_NET = flags.DEFINE_string("feature_net", None,
                           f"Feature network: {', '.join(FEATURE_NETS.names())} (default: the "
                           f"dataset's: fashion_mnist_cnn for Fashion-MNIST data, emoji32_cnn for "
                           f"emoji32).")
_NET_WEIGHTS = flags.DEFINE_string("feature_net_weights", None,
                                   "Weights file passed to the feature network (weights_path=).")
_INCEPTION = flags.DEFINE_string("inception_weights", None, "With --feature_net=inception_v3: pytorch-fid's "
                                 ".pth or a converted .npz (else $GANJAX_INCEPTION_WEIGHTS).")
_DATASET = flags.DEFINE_string("dataset", None, "Dataset to compare with (default: the workdir's).")
_SPLIT = flags.DEFINE_string("split", None, "Its split (default: the dataset's FID reference split: "
                             "test; train for emoji32, whose 1240 training images are all there is).")
_KEEP = flags.DEFINE_integer("keep_features", DEFAULT_KEEP_FEATURES,
                             "Feature vectors kept per side for kid/pr/dc (their k-NN cost is quadratic).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latent codes.")
_EMA = flags.DEFINE_bool("ema", True, "Sample with the EMA generator weights.")
_STEP = flags.DEFINE_integer("step", None, "Checkpoint step (default: newest).")
_OUT = flags.DEFINE_string("out_jsonl", None, "Where to append the row (default: WORKDIR/metrics.jsonl).")
_TRUNCATION = flags.DEFINE_float("truncation", None, "With --workdir: sample with truncation psi "
                                  "(BigGAN, StyleGAN2; 1 = none, 0 = the mean).")
_CACHE = flags.DEFINE_string("cache_dir", None, "Reference-statistics cache (default: "
                             "$GANJAX_CACHE_DIR or ~/.cache/ganjax).")


def main(argv):
  del argv
  quiet_library_logs()
  weights = _NET_WEIGHTS.value or (_INCEPTION.value if _NET.value == "inception_v3" else None)
  options = {"weights_path": weights} if weights else {}
  try:
    run = restore_run(_WORKDIR.value, _STEP.value) if _WORKDIR.value and not _SAMPLES.value else None
    dataset = _DATASET.value or (load_config(_WORKDIR.value).dataset.name
                                 if _WORKDIR.value and _SAMPLES.value else None)
    row = score(metrics=_METRICS.value, run=run, samples=_SAMPLES.value,
                labels=_LABELS.value, num_samples=_NUM.value, feature_net=_NET.value,
                feature_net_options=options, dataset=dataset, split=_SPLIT.value,
                keep_features=_KEEP.value, seed=_SEED.value, ema=_EMA.value,
                cache_dir=_CACHE.value, truncation=_TRUNCATION.value)
  except GanjaxError as e:
    sys.exit(f"ganjax: {type(e).__name__}: {e}")
  out = _OUT.value or (os.path.join(_WORKDIR.value, "metrics.jsonl") if _WORKDIR.value else None)
  print(f"{row.get('samples') or _WORKDIR.value} (step {row.get('step', '-')}) vs "
        f"{row['dataset']}/{row['split']}, feature net {row['feature_net']}")
  print(format_table({k[len("eval/"):]: v for k, v in row.items() if k.startswith("eval/")}))
  if "code_mapping" in row:
    print(f"code -> matched class: {row['code_mapping']}")
  for note in row.get("notes", ()):
    print(f"note: {note}")
  if out:
    append_jsonl(out, row)
    print(f"appended to {out}")


if __name__ == "__main__":
  app.run(main)
