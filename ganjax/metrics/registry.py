"""Every metric as one registry entry: what it reads and the function that scores it.

  metrics = resolve("fid,ifid,cacc", Source(exp=exp))     # checked against what the run has
  scorer = Scorer(metrics, Source(exp=exp), config.dataset, num=2000)   # ganjax/metrics/scorer.py
  scores, extras = scorer(state)

A metric declares the inputs it reads (`reads`, a tuple of `Need`s):

  samples      generated samples: a run whose family samples, or a file of samples
  features     the samples' feature summary (one streaming pass of the feature network; summary.py)
  real         the real split's reference statistics (cached per dataset, split and network)
  labels       the class labels the samples were drawn for: a class-conditional run
               (core/capabilities.py `Conditional`) or a samples file with its labels
  classifier   the dataset's shipped classifier (DatasetSpec.classifier); optional: without one the
               metric is skipped with a note instead of failing
  code         an InfoGAN categorical code in the run's prior (`CodeSampler`), read back by Q
  style space  a generator with a mapping network and a style space W (`StyleSpace`: stylegan2)
  translator   an image-to-image family (`Translator`: pix2pix, cyclegan, discogan)
  upsampler    a super-resolution family (samples upscaled from a "lowres" field: srresnet, srgan,
               esrgan); its samples are G(lr) of the reference split's inputs (ganjax/metrics/superres.py)
Capabilities are the ones the run's objective declares (ganjax/core/capabilities.py).

and `compute(inputs: Inputs) -> {column: value}`. ganjax/metrics/scoring.py (evaluate.py) and
ganjax/metrics/periodic.py (evaluation during training) resolve names through `resolve` and score
through the one `Scorer`. A name that is unknown, or whose needs the run or file lacks, raises one
ConfigError naming the metric, what it needs and the metrics that do apply.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ganjax.core.capabilities import Conditioned, Sampler, StyleSpace, Translator, supports
from ganjax.errors import ConfigError
from ganjax.metrics import conditional as cond
from ganjax.metrics import fid as fid_lib
from ganjax.metrics import inception_score as is_lib
from ganjax.metrics import kid as kid_lib
from ganjax.metrics import prdc
from ganjax.metrics import superres as sr
from ganjax.metrics.ppl import PPL, ppl
from ganjax.metrics.summary import FeatureSummary
from ganjax.metrics.translation import TRANSLATION, translation_scores
from ganjax.registry import Registry


@dataclasses.dataclass(frozen=True)
class Source:
  """What an evaluation reads from: a run (its experiment) or a file of samples (with labels or
  not); `dataset` and `image_shape` where known (the optional needs are checked against them)."""
  exp: Any = None
  samples: bool = False
  labels: bool = False
  dataset: str | None = None
  image_shape: tuple | None = None

  def describe(self) -> str:
    if self.exp is not None:
      return f"this run (model {self.exp.config.model.get('name', '?')!r})"
    return "the samples file" + (" with its --labels" if self.labels else "")


@dataclasses.dataclass(frozen=True)
class Need:
  """One input a metric reads: `what` it is (for errors), whether a source `has` it, and for an
  optional need the `note` recorded when it is missing (the metric is then skipped)."""
  name: str
  what: str
  has: Callable[[Source], bool]
  optional: bool = False
  note: Callable[[Source], str] | None = None


def _samples(s: Source) -> bool:
  """A file of samples, or a run whose objective samples without an input (a translator's samples
  are translations of a `required_cond` field: it has none of its own)."""
  if s.samples:
    return True
  objective = None if s.exp is None else s.exp.objective
  if supports(objective, Conditioned) and objective.required_cond:
    return sr.lowres_field(s.exp) is not None  # an upsampler's samples: G(the split's inputs)
  return supports(objective, Sampler)


SAMPLES = Need("samples", "generated samples (a run of a family that samples, or --samples=FILE.npy)",
               _samples)
FEATURES = Need("features", "the samples' feature summary", _samples)
REAL = Need("real", "the real split's reference statistics", lambda s: True)
LABELS = Need("labels", "the labels the samples were drawn for (a class-conditional run: cgan, "
              "acgan, projection; or --samples with --labels=FILE.npy)",
              lambda s: s.labels if s.exp is None else cond.run_num_classes(s.exp) > 0)
CLASSIFIER = Need("classifier", "the dataset's shipped classifier (DatasetSpec.classifier)",
                  lambda s: cond.dataset_classifier(s.dataset, s.image_shape) is not None,
                  optional=True, note=lambda s: cond.classifier_note(s.dataset, s.image_shape))
CODE = Need("code", "an infogan run (a categorical code read back by a Q head; --workdir=DIR)",
            lambda s: s.exp is not None and cond.run_code_dim(s.exp) > 0)
STYLE_SPACE = Need("style space", "a run whose generator has a mapping network and a style space W "
                   "(stylegan2; --workdir=DIR)",
                   lambda s: s.exp is not None and supports(s.exp.objective, StyleSpace))
TRANSLATOR = Need("translator", "a translation run (pix2pix, cyclegan, discogan; --workdir=DIR)",
                  lambda s: s.exp is not None and supports(s.exp.objective, Translator))

UPSAMPLER = Need("upsampler", "a super-resolution run (srresnet, srgan, esrgan; --workdir=DIR)",
                 lambda s: s.exp is not None and sr.lowres_field(s.exp) is not None)


@dataclasses.dataclass
class Inputs:
  """What `compute` reads, filled by the Scorer per evaluation (None where nothing reads it)."""
  real: FeatureSummary | None = None  # the real split's summary
  fake: FeatureSummary | None = None  # the samples' summary
  exp: Any = None
  state: Any = None
  num_samples: int | None = None  # samples scored (requested, for evaluations that draw none)
  num_classes: int = 0  # the run's classes, else the dataset's
  seed: int = 0
  ema: bool = True
  resource: Any = None  # what the metric's `prepare` returned
  tap: Any = None  # the metric's tap on the stream of samples
  row: dict = dataclasses.field(default_factory=dict)  # fields the metric adds to the row


@dataclasses.dataclass(frozen=True)
class Metric:
  """One metric. default: "always" (in evaluate.py's default set wherever it applies), "run" (the
  default for runs where it applies) or None. prepare(scorer): what it reads, built once per
  Scorer; tap(batches, resource): a pass-through iterator that sees every batch of samples;
  check(scorer): a ConfigError for settings it cannot use; best(scores): the column whose lowest
  value periodic evaluation keeps in checkpoints_best; net, split: the feature network and split
  a metric that scores no samples reads on its own (recorded in the row). Metrics that read `features` are computed
  from the one pass over the samples in the requested order, the others after it, in this
  registry's order."""
  name: str
  reads: tuple[Need, ...]
  compute: Callable[[Inputs], dict]
  default: str | None = None
  prepare: Callable[[Any], Any] | None = None
  tap: Callable[[Iterable, Any], Iterable] | None = None
  check: Callable[[Any], None] | None = None
  best: Callable[[dict], str] | None = None
  net: str | None = None
  split: str | None = None


class MetricRegistry(Registry[Metric]):
  def add(self, metric: Metric) -> Metric:
    return self.register(metric.name, metric)

  def in_order(self) -> list[Metric]:
    """The metrics in registration order (the order of default sets and of computation)."""
    return list(self._items.values())


METRICS = MetricRegistry("metric")


def applies(metric: Metric, source: Source) -> bool:
  return all(n.optional or n.has(source) for n in metric.reads)


def applicable(source: Source) -> list[str]:
  return [m.name for m in METRICS.in_order() if applies(m, source)]


def parse_metrics(names: str | Sequence[str], source: Source | None = None) -> list[str]:
  """"fid,kid" or ["fid", "kid"] -> checked names; an unknown one raises ConfigError listing all
  (and, given `source`, those that apply to it)."""
  if isinstance(names, str):
    names = names.split(",")
  if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
    raise ConfigError(f"metrics must be comma-separated names such as 'fid,kid', got {names!r}. "
                      f"Valid metric names: {', '.join(METRICS.names())}.")
  names = [n.strip() for n in names if n.strip()]
  for n in names:
    if n not in METRICS:
      fits = f" Metrics that apply to {source.describe()}: {_listed(source)}." if source else ""
      raise ConfigError(f"Unknown metric {n!r}. Valid metric names: {', '.join(METRICS.names())}."
                        + fits)
  return names


def _listed(source: Source) -> str:
  return ", ".join(applicable(source)) or "none"


def resolve(names: str | Sequence[str], source: Source) -> list[Metric]:
  """The registry entries of `names`; a ConfigError names an unknown metric or one whose needs
  `source` lacks (what it needs, and the metrics that apply)."""
  metrics = [METRICS.get(n) for n in parse_metrics(names, source)]
  for m in metrics:
    lacking = [n for n in m.reads if not n.optional and not n.has(source)]
    if lacking:
      raise ConfigError(f"metric {m.name} needs {lacking[0].what}, which {source.describe()} "
                        f"lacks. Metrics that apply to it: {_listed(source)}.")
  return metrics


def default_metrics(source: Source) -> list[str]:
  """evaluate.py's metrics without --metrics: the "always" ones plus, for a run, the "run" ones,
  each where it applies (fid,kid,is,pr; ifid,cacc for class-conditional runs, code_acc for
  InfoGAN, ppl for StyleGAN2; translation alone for translation runs)."""
  wanted = ("always", "run") if source.exp is not None else ("always",)
  return [m.name for m in METRICS.in_order() if m.default in wanted and applies(m, source)]


# ------------------------------------------------------------------------------ the metrics

def _equal_sized(real: FeatureSummary, fake: FeatureSummary) -> np.ndarray:
  """The first len(fake.features) real vectors: k-NN balls shrink as a set grows, so precision,
  recall, density and coverage compare sets of one size (the papers' protocol)."""
  return real.features[:len(fake.features)]


def _kid(x: Inputs) -> dict:
  mean, std = kid_lib.kernel_inception_distance(x.real.features, x.fake.features)
  return {"kid_mean": mean, "kid_std": std}


def _is(x: Inputs) -> dict:
  mean, std = is_lib.inception_score(x.fake.logits)
  return {"is_mean": mean, "is_std": std}


def _pr(x: Inputs) -> dict:
  precision, recall = prdc.precision_recall(_equal_sized(x.real, x.fake), x.fake.features)
  return {"precision": precision, "recall": recall}


def _dc(x: Inputs) -> dict:
  density, coverage = prdc.density_coverage(_equal_sized(x.real, x.fake), x.fake.features)
  return {"density": density, "coverage": coverage}


def _ifid(x: Inputs) -> dict:
  per_class = cond.per_class_fid(x.real, x.fake)
  return {"intra_class_fid": float(np.mean(list(per_class.values()))),
          **cond.per_class_columns("intra_class_fid", per_class)}


def _check_ifid(scorer) -> None:
  k = cond.run_num_classes(scorer.source.exp) if scorer.source.exp is not None else 0
  if scorer.num is not None and k and scorer.num < 2 * k:
    raise ConfigError(f"{scorer.flags['num_samples']}={scorer.num} is too few for 'ifid': each of "
                      f"the {k} classes needs at least 2 samples (use >= {2 * k}; FID is only "
                      f"stable from thousands).")


def _classifier(scorer):
  """The dataset's shipped classifier: the scorer's own feature network when it is that one."""
  from ganjax.metrics.features import build_feature_net
  name = cond.dataset_classifier(scorer.source.dataset, scorer.source.image_shape)
  shipped = scorer.net_name == name and not scorer.net_options
  return scorer.net if shipped else build_feature_net(name)


def _code_data(scorer):
  """The split's images and labels (10k Fashion-MNIST images are 8 MB), read once per Scorer."""
  from ganjax.metrics.data import load_split
  return load_split(scorer.dataset_cfg, scorer.split)


def _code_acc(x: Inputs) -> dict:
  images, labels = x.resource
  scores, mapping = cond.run_code_scores(x.exp, x.state, images, labels, x.num_classes)
  x.row["code_mapping"] = [mapping.get(c, -1) for c in range(cond.run_code_dim(x.exp))]
  return scores


TRANSLATION_NET = "fashion_mnist_cnn"  # translation metrics read the 28x28 crops through it


def _check_translation(scorer) -> None:
  if scorer.requested_net not in (None, TRANSLATION_NET) or scorer.net_options:
    raise ConfigError(f"translation metrics read the 28x28 crops with the shipped {TRANSLATION_NET}; "
                      f"drop {scorer.flags['feature_net']}.")


def _translation_net(scorer):
  from ganjax.metrics.features import build_feature_net
  return build_feature_net(TRANSLATION_NET)


for _metric in (
    Metric("fid", (SAMPLES, FEATURES, REAL), lambda x: {"fid": fid_lib.fid(x.real, x.fake)},
           default="always", best=lambda scores: "fid"),
    Metric("kid", (SAMPLES, FEATURES, REAL), _kid, default="always"),
    Metric("is", (SAMPLES, FEATURES), _is, default="always"),
    Metric("pr", (SAMPLES, FEATURES, REAL), _pr, default="always"),
    Metric("dc", (SAMPLES, FEATURES, REAL), _dc),
    Metric("ifid", (SAMPLES, FEATURES, REAL, LABELS), _ifid, default="run", check=_check_ifid),
    Metric(cond.CONDITIONAL_ACCURACY, (SAMPLES, LABELS, CLASSIFIER),
           lambda x: x.tap.scores(x.num_classes, limit=x.num_samples), default="run",
           prepare=_classifier, tap=cond.PredictionTap),
    Metric(cond.CODE_ACCURACY, (CODE,), _code_acc, default="run", prepare=_code_data),
    Metric(PPL, (STYLE_SPACE,), lambda x: ppl(x.exp, x.state, x.num_samples, seed=x.seed, ema=x.ema),
           default="run"),
    Metric(TRANSLATION, (TRANSLATOR,),
           lambda x: translation_scores(x.exp, x.state, x.resource, num=x.num_samples, ema=x.ema),
           default="run", prepare=_translation_net, check=_check_translation,
           best=lambda scores: next(k for k in scores if k.endswith("/fid")),
           net=TRANSLATION_NET, split="test"),
    Metric("psnr", (SAMPLES, UPSAMPLER), lambda x: x.tap.scores("psnr", sr.psnr), default="run",
           prepare=sr.Pairs, tap=sr.OutputsTap),
    Metric("ssim", (SAMPLES, UPSAMPLER), lambda x: x.tap.scores("ssim", sr.ssim), default="run",
           prepare=sr.Pairs, tap=sr.OutputsTap),
    Metric("bicubic", (UPSAMPLER, REAL), lambda x: sr.bicubic_fid(x.resource), default="run",
           prepare=sr.Pairs),
):
  METRICS.add(_metric)
