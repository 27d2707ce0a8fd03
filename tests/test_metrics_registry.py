"""The metric registry (ganjax/metrics/registry.py): what each metric reads decides where it applies,
the default sets, and the one error for a metric a run or file cannot feed. Stub runs declare
capabilities (ganjax/core/capabilities.py) without building a family, so nothing compiles."""

import dataclasses

import ml_collections
import pytest

from ganjax.errors import ConfigError
from ganjax.metrics.registry import METRICS, Source, applicable, default_metrics, resolve


class _Prior:
  def __init__(self, categorical):
    self.categorical = categorical


class _Latent:
  """A latent family's objective: Sampler, Conditioned (label), CodeSampler, maybe Conditional."""
  required_cond = ()

  def __init__(self, num_classes=0, code=0):
    self.num_classes = num_classes
    self.prior = _Prior({"label": num_classes} if num_classes else
                        {"categorical": code} if code else {})
    self.cond_fields = ("label",) if num_classes else ()

  def sample(self, state, key, num, *, ema=True, cond=None, fix=None): ...


class _StyleGAN(_Latent):
  noise_dim = 4

  def map(self, state, z, *, ema=True, truncation=None): ...

  def synthesize(self, state, ws, noise, *, ema=True): ...


class _Translator:
  directions = {"a2b": ("source", "target")}
  cond_fields = required_cond = ("source",)

  def sample(self, state, key, num, *, ema=True, cond=None): ...

  def translate(self, state, x, *, direction, ema=True): ...


@dataclasses.dataclass
class _Run:
  objective: object
  name: str = "stub"

  @property
  def config(self):
    return ml_collections.ConfigDict({"model": {"name": self.name}})

  @property
  def spec(self):  # the super-resolution metrics look for a low-resolution field
    from ganjax.data.sources import dataset_spec
    return dataset_spec("fashion_mnist")


def _run(objective, name="stub"):
  return Source(exp=_Run(objective, name))


def test_every_metric_declares_what_it_reads_and_the_defaults_follow():
  assert [m.name for m in METRICS.in_order()] == ["fid", "kid", "is", "pr", "dc", "ifid", "cacc",
                                                  "code_acc", "ppl", "translation", "psnr", "ssim",
                                                  "bicubic"]  # the last three: super-resolution
  assert all(m.reads and callable(m.compute) for m in METRICS.in_order())
  files = Source(samples=True)
  assert default_metrics(files) == ["fid", "kid", "is", "pr"]
  assert default_metrics(Source(samples=True, labels=True)) == ["fid", "kid", "is", "pr"]
  assert applicable(Source(samples=True, labels=True)) == ["fid", "kid", "is", "pr", "dc", "ifid",
                                                           "cacc"]
  assert default_metrics(_run(_Latent())) == ["fid", "kid", "is", "pr"]
  assert default_metrics(_run(_Latent(num_classes=10))) == ["fid", "kid", "is", "pr", "ifid", "cacc"]
  assert default_metrics(_run(_Latent(code=10))) == ["fid", "kid", "is", "pr", "code_acc"]
  assert default_metrics(_run(_StyleGAN())) == ["fid", "kid", "is", "pr", "ppl"]
  assert default_metrics(_run(_Translator())) == ["translation"]


def test_a_metric_the_source_cannot_feed_names_what_it_needs_and_what_applies():
  with pytest.raises(ConfigError, match=r"metric fid needs generated samples .*model 'pix2pix'.*"
                                        r"Metrics that apply to it: translation\."):
    resolve("fid", _run(_Translator(), "pix2pix"))
  with pytest.raises(ConfigError, match=r"metric translation needs a translation run .*the samples "
                                        r"file .*apply to it: fid, kid, is, pr, dc\."):
    resolve("translation", Source(samples=True))
  with pytest.raises(ConfigError, match=r"metric cacc needs the labels the samples were drawn for"):
    resolve("fid,cacc", Source(samples=True))
  with pytest.raises(ConfigError, match=r"code_acc needs an infogan run.*'cgan'.*ifid, cacc\."):
    resolve("code_acc", _run(_Latent(num_classes=10), "cgan"))
  with pytest.raises(ConfigError, match=r"metric ppl needs a run whose generator has a mapping "
                                        r"network"):
    resolve("ppl", _run(_Latent(), "dcgan"))
  with pytest.raises(ConfigError, match=r"Unknown metric 'fdi'\. Valid metric names: .*fid.*kid.*"
                                        r"Metrics that apply to this run \(model 'dcgan'\): fid, "
                                        r"kid, is, pr, dc\."):
    resolve("fid,fdi", _run(_Latent(), "dcgan"))
  assert [m.name for m in resolve("ifid,cacc", _run(_Latent(num_classes=3)))] == ["ifid", "cacc"]
  # cacc's classifier is optional: it applies, and a dataset without one skips it with a note.
  cacc = METRICS.get("cacc")
  optional = [n for n in cacc.reads if n.optional]
  digits = Source(samples=True, labels=True, dataset="digits", image_shape=(16, 16, 1))
  assert [n.name for n in optional] == ["classifier"] and not optional[0].has(digits)
  assert "conditional_accuracy skipped" in optional[0].note(digits)
