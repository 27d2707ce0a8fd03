r"""The truncation trick's fidelity / diversity trade-off: one trained run scored at several psi.

  python benchmarks/truncation_sweep.py --workdir=runs/biggan --psis=1.0,0.9,0.8,0.7,0.6,0.5 \
      --metrics=fid,pr,cacc --num_samples=5000

Restores the run once (newest checkpoint, EMA generator) and scores --num_samples samples per psi
with ganjax.metrics.scoring.score, the same latents (--seed) at every psi, against the dataset's
FID reference split through its feature network (Fashion-MNIST data: fashion_mnist_cnn on the test
split). Truncation pulls the latent toward its mean (BigGAN: z scaled by psi; StyleGAN2: w
toward the average w), psi = 1 unchanged, psi = 0 the mean; as psi falls it should trade recall
(diversity) for precision (fidelity). Prints one markdown row per psi.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app, flags  # noqa: E402

_WORKDIR = flags.DEFINE_string("workdir", None, "Training workdir (config.json, checkpoints/).")
_PSIS = flags.DEFINE_list("psis", ["1.0", "0.9", "0.8", "0.7", "0.6", "0.5"], "Truncation psi values.")
_METRICS = flags.DEFINE_string("metrics", "fid,pr,cacc", "Metrics per psi (ganjax.metrics names).")
_NUM = flags.DEFINE_integer("num_samples", 5000, "Samples per psi.")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latent codes (the same at every psi).")
flags.mark_flag_as_required("workdir")

COLUMNS = [("fid", "FID"), ("kid_mean", "KID x1e3"), ("precision", "precision"), ("recall", "recall"),
           ("conditional_accuracy", "conditional accuracy"), ("intra_class_fid", "intra-class FID"),
           ("ppl", "PPL")]


def main(argv):
  del argv
  from ganjax.metrics.kid import display_name, display_scores
  from ganjax.metrics.scoring import score
  from ganjax.reporting import quiet_library_logs
  from ganjax.train.restore import restore_run
  quiet_library_logs()
  psis = [float(p) for p in _PSIS.value]
  run = restore_run(_WORKDIR.value)
  rows = [(psi, score(metrics=_METRICS.value, run=run, num_samples=_NUM.value, seed=_SEED.value,
                      truncation=psi)) for psi in psis]
  present = [(k, name) for k, name in COLUMNS if f"eval/{k}" in rows[0][1]]
  print(f"{_WORKDIR.value} (step {rows[0][1].get('step', '-')}), {_NUM.value} samples per psi, "
        f"feature net {rows[0][1]['feature_net']}, {rows[0][1]['dataset']}/{rows[0][1]['split']}")
  print("| psi | " + " | ".join(name for _, name in present) + " |")
  print("| --- |" + " --- |" * len(present))
  for psi, row in rows:
    shown = display_scores({k: row[f"eval/{k}"] for k, _ in present})  # KID x 1e3
    cells = [f"{row[f'eval/{k}']:.2%}" if k == "conditional_accuracy" else
             f"{shown[display_name(k)]:.3f}" for k, _ in present]
    print(f"| {psi:.2f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
  app.run(main)
