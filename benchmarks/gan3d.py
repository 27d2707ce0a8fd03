r"""3D-GAN on voxel_shapes32: train, sample, and score the samples against the test split.

  python benchmarks/gan3d.py --seeds=0,1,2 --steps=2000 \
      --set=model.g_features=64 --set=model.d_features=16 --grids=docs/images

For each seed: trains experiments/configs/gan3d_voxels32.py (with the --set overrides, KEY=VALUE
parsed as JSON) for --steps steps in --workdir_root/gan3d_s<seed>, draws --num_samples samples
(EMA generator, the dataset's stored form: uint8 0 / 1 grids), and scores them against the first
--reference test shapes with ganjax/metrics/voxels.py: coverage (COV), minimum matching distance
(MMD) and 1-NNA with 1 - IoU as the distance, plus the share of degenerate samples (occupancy
below 1% or above 60%). A first row scores --num_samples train shapes the same way: what a
generator that reproduced the training distribution would get at these set sizes. Prints one
markdown row per run; with --grids, writes the first seed's renders to <grids>/gan3d_voxels32.png.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

_SEEDS = flags.DEFINE_list("seeds", ["0"], "Training seeds.")
_STEPS = flags.DEFINE_integer("steps", 2000, "Training steps per run.")
_NUM = flags.DEFINE_integer("num_samples", 1000, "Samples scored per run.")
_REFERENCE = flags.DEFINE_integer("reference", 1000, "Test shapes compared with.")
_SET = flags.DEFINE_multi_string("set", [], "Config override KEY=VALUE (repeatable).")
_ROOT = flags.DEFINE_string("workdir_root", "/tmp/ganjax_gan3d", "Where the runs' workdirs go.")
_GRIDS = flags.DEFINE_string("grids", "", "Directory of the first seed's render grid ('' = none).")

LOW, HIGH = 0.01, 0.60  # the "no sample empty or full" bounds on occupancy


def row(name: str, seed, steps, seconds, samples, reference) -> str:
  from ganjax.metrics.voxels import voxel_set_metrics
  m = voxel_set_metrics(samples, reference)
  occupancy = samples.reshape(len(samples), -1).mean(1)
  degenerate = float(np.mean((occupancy < LOW) | (occupancy > HIGH)))
  return (f"| {name} | {seed} | {steps} | {seconds} | {m['coverage']:.3f} | {m['mmd']:.3f} | "
          f"{m['one_nna']:.3f} | {degenerate:.3f} | {occupancy.min():.3f}-{occupancy.max():.3f} |")


def main(argv):
  del argv
  import ml_collections
  from experiments.configs import gan3d_voxels32
  from ganjax.images import image_grid, save_png, to_uint8
  from ganjax.inference.sampling import as_images, draw_samples
  from ganjax.metrics.data import load_split
  from ganjax.train.experiment import build_experiment
  from ganjax.train.loop import train_and_evaluate
  from ganjax.train.timing import apply_overrides

  dataset = ml_collections.ConfigDict(dict(name="voxel_shapes32", source_dir=None, data_dir=None))
  reference, _ = load_split(dataset, "test", limit=_REFERENCE.value)
  train, _ = load_split(dataset, "train", limit=_NUM.value)
  print("| run | seed | steps | train s | COV | MMD | 1-NNA | degenerate | occupancy |")
  print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
  print(row("train split", "-", "-", "-", train, reference), flush=True)
  for i, seed in enumerate(_SEEDS.value):
    cfg = apply_overrides(gan3d_voxels32.get_config(), _SET.value)
    cfg.seed, cfg.num_train_steps = int(seed), _STEPS.value
    cfg.checkpoint_every = _STEPS.value
    workdir = os.path.join(_ROOT.value, f"gan3d_s{seed}")
    t0 = time.time()
    state = train_and_evaluate(cfg, workdir)
    seconds = round(time.time() - t0)
    exp = build_experiment(cfg)
    samples = draw_samples(exp, state, _NUM.value, seed=1)
    print(row("gan3d", seed, _STEPS.value, seconds, samples, reference), flush=True)
    if _GRIDS.value and i == 0:
      path = os.path.join(_GRIDS.value, "gan3d_voxels32.png")
      save_png(path, image_grid(to_uint8(as_images(exp, samples[:36])), ncols=6))
      print(f"wrote {path}")


if __name__ == "__main__":
  app.run(main)
