"""What every experiment config shares: data, the training loop's cadences, evaluation and the
runtime block. A family config starts from `base.get_config()` and sets `model`, its objective's
fields and `optimizers` (one per player)."""

import ml_collections

from ganjax.runtime import default_runtime


def get_config() -> ml_collections.ConfigDict:
  c = ml_collections.ConfigDict()
  c.seed = 0
  # class_balanced: every batch holds an equal share of each class (rare classes oversampled).
  # subset: train on a fixed subset of this many training examples (StyleGAN2-ADA's --subset);
  # metrics still compare with the whole reference split.
  c.dataset = ml_collections.ConfigDict(dict(
      name="fashion_mnist", source_dir=None, data_dir=None, class_balanced=False,
      subset=ml_collections.config_dict.placeholder(int)))
  c.model = ml_collections.ConfigDict()
  c.optimizers = ml_collections.ConfigDict()
  c.batch_size = 32
  c.num_train_steps = 2000
  c.ema_decay = 0.999
  c.dtype = "float32"
  c.log_every = 50
  c.sample_every = 500
  c.num_grid_samples = 64
  c.checkpoint_every = 500
  c.keep_checkpoints = 3
  # A run stops after this many consecutive steps with NaN/Inf losses or gradients (each skipped).
  c.max_bad_steps = 20
  # Periodic evaluation (ganjax/metrics/periodic.py): every eval_every steps (0 = off) score
  # eval_num_samples EMA samples with eval_feature_net; the best FID checkpoint goes to checkpoints_best/.
  c.eval_every = 0
  c.eval_metrics = "fid,kid"  # comma-separated ganjax.metrics.evaluation.METRICS names
  c.eval_num_samples = 2000
  # None: the dataset's (DatasetSpec.feature_net: fashion_mnist_cnn, emoji32_cnn).
  c.eval_feature_net = ml_collections.config_dict.placeholder(str)
  # Fault injection for tests: steps whose batch is replaced by NaN.
  c.debug = ml_collections.ConfigDict(dict(nan_at_steps=(-1,)))
  # A rerun on a workdir refuses changes of the game (family, dataset, loss, batch size ...) unless
  # this is True; accepted changes go to WORKDIR/config_history.jsonl (ganjax/train/config_history.py).
  c.allow_game_change = False
  c.runtime = default_runtime()  # how the run executes (ganjax/runtime/__init__.py)
  return c
