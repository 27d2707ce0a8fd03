r"""BiGAN's encoder as a representation: linear probe accuracy and reconstruction ratio.

  python benchmarks/bigan_probe.py --seeds=0,1,2 --steps=3000 --batch_size=32

For each seed: trains experiments/configs/bigan_fashion_mnist.py (with --latent_dim / --lr /
--batch_size when given) for --steps steps in --workdir_root/<name>_s<seed> (a finished run there
is loaded, not retrained: the loop resumes from its last checkpoint), then on Fashion-MNIST:

  probe:    logistic regression on standardised E(x) (EMA and raw encoder weights), trained on
            the first --probe_train train images, scored on the first --probe_test test images;
            the same for an untrained encoder of the same architecture (the run's initial state)
            and for raw pixels, as references (ganjax/metrics/representation.py);
  ratio:    mean|x - G(E(x))| / mean|x - x'| on those test images, x' another test image
            (1 = no better than a random other image; the goal is < 0.8), EMA and raw weights.

Prints one markdown row per seed and, with several seeds, their mean +- std.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

_SEEDS = flags.DEFINE_list("seeds", ["0"], "Training seeds.")
_STEPS = flags.DEFINE_integer("steps", 3000, "Training steps per run.")
_BATCH = flags.DEFINE_integer("batch_size", 32, "Training batch size.")
_LATENT = flags.DEFINE_integer("latent_dim", None, "model.latent_dim (default: the config's).")
_LR = flags.DEFINE_float("lr", None, "Adam learning rate of both players (default: the config's).")
_CONFIG = flags.DEFINE_string("config", "bigan_fashion_mnist", "experiments/configs module name.")
_PROBE_TRAIN = flags.DEFINE_integer("probe_train", 5000, "Train images the probe is fitted on.")
_PROBE_TEST = flags.DEFINE_integer("probe_test", 2000, "Test images the probe and ratio use.")
_ROOT = flags.DEFINE_string("workdir_root", "/tmp/ganjax_bigan_probe",
                            "Where the runs' workdirs go.")


def make_config(seed: int):
  from experiments import configs
  config = configs.named(_CONFIG.value)
  config.seed, config.batch_size = seed, _BATCH.value
  config.num_train_steps, config.sample_every = _STEPS.value, 0
  config.checkpoint_every = config.num_train_steps
  if _LATENT.value:
    config.model.latent_dim = _LATENT.value
  if _LR.value:
    for opt in config.optimizers.values():
      opt.learning_rate = _LR.value
  return config


def split(config, name: str, num: int) -> tuple[np.ndarray, np.ndarray]:
  """The first `num` examples of a split: (uint8 images [num, H, W, C], int labels [num])."""
  from ganjax.data.pipeline import read_examples
  from ganjax.data.sources import data_source
  source = data_source(config.dataset, name)
  ex = read_examples(source, np.arange(min(num, len(source))))
  return ex["image"], np.asarray(ex["label"])


def run(seed: int) -> dict:
  from ganjax.metrics.representation import linear_probe_accuracy, reconstruction_ratio
  from ganjax.inference.encoding import encode_images
  from ganjax.train.experiment import build_experiment
  from ganjax.train.loop import train_and_evaluate

  config = make_config(seed)
  name = f"{_CONFIG.value}_l{config.model.latent_dim}_b{config.batch_size}_s{seed}"
  t0 = time.time()
  state = train_and_evaluate(config, os.path.join(_ROOT.value, name))
  train_s = time.time() - t0
  t0 = time.time()
  exp = build_experiment(config)
  x_tr, y_tr = split(config, "train", _PROBE_TRAIN.value)
  x_te, y_te = split(config, "test", _PROBE_TEST.value)
  z_tr, _ = encode_images(exp, state, x_tr)
  z_te, rec = encode_images(exp, state, x_te, reconstruct=True)
  r_tr, _ = encode_images(exp, state, x_tr, ema=False)
  r_te, rec_raw = encode_images(exp, state, x_te, reconstruct=True, ema=False)
  init = exp.init_state()
  u_tr, _ = encode_images(exp, init, x_tr)
  u_te, _ = encode_images(exp, init, x_te)
  flat = lambda x: x.reshape(len(x), -1).astype(np.float32)
  out = {"seed": seed, "steps": int(state.step), "train_s": train_s,
         "probe": linear_probe_accuracy(z_tr, y_tr, z_te, y_te),
         "probe_raw": linear_probe_accuracy(r_tr, y_tr, r_te, y_te),
         "probe_untrained": linear_probe_accuracy(u_tr, y_tr, u_te, y_te),
         "probe_pixels": linear_probe_accuracy(flat(x_tr), y_tr, flat(x_te), y_te),
         "ratio": reconstruction_ratio(x_te, rec, seed=0),
         "ratio_raw": reconstruction_ratio(x_te, rec_raw, seed=0)}
  out["eval_s"] = time.time() - t0
  return out


COLUMNS = [("probe", "probe E(x) (EMA)"), ("probe_raw", "probe E(x) (raw)"),
           ("probe_untrained", "probe untrained E"),
           ("probe_pixels", "probe pixels"), ("ratio", "ratio (EMA)"), ("ratio_raw", "ratio (raw)")]


def main(argv):
  del argv
  from ganjax.reporting import quiet_library_logs
  from ganjax.runtime import apply_process_settings
  from experiments.configs import base
  quiet_library_logs()
  apply_process_settings(base.get_config())  # as experiments/train.py does, before JAX starts
  print(f"config {_CONFIG.value}, latent_dim {make_config(0).model.latent_dim}, batch "
        f"{_BATCH.value}, probe on {_PROBE_TRAIN.value} train / {_PROBE_TEST.value} test images")
  print("| seed | steps | " + " | ".join(c for _, c in COLUMNS) + " | train s | eval s |")
  print("| --- " * (len(COLUMNS) + 4) + "|")
  rows = []
  for seed in _SEEDS.value:
    r = run(int(seed))
    rows.append(r)
    print(f"| {seed} | {r['steps']} | " + " | ".join(f"{r[k]:.3f}" for k, _ in COLUMNS)
          + f" | {r['train_s']:.0f} | {r['eval_s']:.0f} |", flush=True)
  if len(rows) > 1:
    stats = [np.array([r[k] for r in rows]) for k, _ in COLUMNS]
    print(f"| mean of {len(rows)} | {_STEPS.value} | "
          + " | ".join(f"{s.mean():.3f} +- {s.std(ddof=1):.3f}" for s in stats) + " | | |",
          flush=True)
  print("goals: probe E(x) > probe untrained E; ratio (EMA) < 0.8")


if __name__ == "__main__":
  app.run(main)
