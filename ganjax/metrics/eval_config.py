"""The periodic-evaluation fields of a training config, checked before anything compiles.

  eval_every        score EMA samples every N steps (and at the last step); 0 = off
  eval_metrics      comma-separated metric names (registry.METRICS: fid, kid, is, pr, dc; ifid and
                    cacc for class-conditional runs, code_acc for InfoGAN runs; "translation"
                    alone for pix2pix / CycleGAN / DiscoGAN runs)
  eval_num_samples  samples drawn per evaluation
  eval_feature_net  FEATURE_NETS name; None (the default): the dataset's (DatasetSpec.feature_net:
                    fashion_mnist_cnn for Fashion-MNIST data, emoji32_cnn for emoji32)

FID's reference statistics come from the dataset's `fid_split` (test; train for emoji32, whose
1240 training images are all there is: StyleGAN2-ADA's small-data protocol).
"""

from __future__ import annotations

from ganjax.data.sources import dataset_spec
from ganjax.errors import ConfigError
from ganjax.metrics.evaluation import parse_metrics
from ganjax.metrics.features import FEATURE_NETS, accepts_shape, feature_net_image_shape

DEFAULTS = {"eval_every": 0, "eval_metrics": "fid", "eval_num_samples": 2000,
            "eval_feature_net": None}


def feature_net_for(dataset: str, name: str | None = None) -> str:
  """`name`, or when None the FEATURE_NETS name that scores `dataset` by default; a ConfigError
  naming the fix when the dataset has none."""
  if name is not None:
    return name
  spec = dataset_spec(dataset)
  if spec.feature_net is None:
    raise ConfigError(f"dataset {dataset!r} ({tuple(spec.shape)}) has no default feature network; "
                      f"name one that reads its images with config.eval_feature_net=NAME (or "
                      f"evaluate.py --feature_net=NAME). Registered: {', '.join(FEATURE_NETS.names())}.")
  return spec.feature_net


def reference_split(dataset: str, split: str | None = None) -> str:
  """`split`, or when None the split of `dataset` that FID compares with (DatasetSpec.fid_split)."""
  return split if split is not None else dataset_spec(dataset).fid_split


def eval_settings(config) -> dict:
  """The four eval fields with defaults for configs that lack them."""
  return {k: config.get(k, v) for k, v in DEFAULTS.items()}


def check_eval_config(config) -> None:
  """ConfigError naming the field and the fix; nothing is checked when eval_every is 0."""
  s = eval_settings(config)
  every = s["eval_every"]
  if isinstance(every, bool) or not isinstance(every, int) or every < 0:
    raise ConfigError(f"config.eval_every must be an integer >= 0 (0 = no evaluation), got {every!r}.")
  if every == 0:
    return
  metrics = parse_metrics(s["eval_metrics"])  # ConfigError listing valid names
  if not metrics:
    raise ConfigError("config.eval_metrics is empty; name some, e.g. --config.eval_metrics=fid,kid.")
  # What each metric reads (labels of a class-conditional run, InfoGAN's code, a style space, a
  # translator) is checked against the built family when training starts (PeriodicEvaluator,
  # ganjax/metrics/registry.py: resolve).
  num = s["eval_num_samples"]
  least = 10 if "is" in metrics else 6  # IS uses 10 splits; k-NN metrics need more than k=5 points
  if isinstance(num, bool) or not isinstance(num, int) or num < least:
    raise ConfigError(f"config.eval_num_samples must be an integer >= {least}, got {num!r}.")
  if s["eval_feature_net"] is not None:
    FEATURE_NETS.get(s["eval_feature_net"])  # an unknown name lists the registered ones
  if metrics == ["translation"]:  # translation metrics read the shipped fashion_mnist_cnn
    return
  name = feature_net_for(config.dataset.name, s["eval_feature_net"])
  shape = tuple(dataset_spec(config.dataset.name).shape)
  if not accepts_shape(name, shape):
    raise ConfigError(
        f"config.eval_feature_net={name!r} takes images of shape {feature_net_image_shape(name)} "
        f"but dataset {config.dataset.name!r} has {shape}; choose another feature network or set "
        f"config.eval_every=0.")
