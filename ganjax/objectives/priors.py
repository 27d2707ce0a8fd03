"""What a generator is fed: a prior over named codes, drawn per batch and fixable at sampling.

A prior draws `codes`, a dict of arrays with a leading batch axis, and says how they become the
generator's inputs. Sampling scripts fix some codes (a class label, InfoGAN's categorical code,
interpolated latents) through `fix`, so every family samples through the same call:

  codes = prior.sample(key, n, axis_name)        # e.g. {"z": [n, 64] float32, "label": [n] int32}
  codes = prior.fix(codes, {"label": 3})         # scalars broadcast, arrays replace rows
  g_args = prior.generator_args(codes)           # G(*g_args, train=...)

`fields` names the codes; `latent_field` is the continuous code that interpolation grids
traverse; `categorical` maps the integer codes to their number of values (labels: classes).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import jax.numpy as jnp

from ganjax.core.keys import global_normal, global_randint, global_uniform
from ganjax.errors import ConfigError


def fixed_codes(prior, codes: dict, values: Mapping | None) -> dict:
  """codes with entries replaced by `values` ({field: scalar or [n, ...] array}); integer codes
  are checked against their range where the values are concrete."""
  if not values:
    return codes
  out = dict(codes)
  for name, value in values.items():
    if name not in codes:
      raise ConfigError(f"this model has no code {name!r} to fix; its codes are {list(prior.fields)}.")
    value = jnp.asarray(value, codes[name].dtype)
    if not isinstance(value, jax.core.Tracer) and name in prior.categorical:
      k = prior.categorical[name]
      bad = jnp.any((value < 0) | (value >= k))
      if bool(bad):
        raise ConfigError(f"{name} values must lie in [0, {k}); got {value.tolist()}.")
    out[name] = jnp.broadcast_to(value, codes[name].shape)
  return out


@dataclasses.dataclass(frozen=True)
class GaussianPrior:
  """z ~ N(0, I) [n, latent_dim]; with num_classes > 0 also a label ~ U{0..num_classes-1} [n]
  that the generator receives as its second input (class-conditional families)."""
  latent_dim: int
  num_classes: int = 0

  @property
  def fields(self) -> tuple[str, ...]:
    return ("z", "label") if self.num_classes else ("z",)

  @property
  def categorical(self) -> dict[str, int]:
    return {"label": self.num_classes} if self.num_classes else {}

  latent_field = "z"

  def sample(self, key: jax.Array, n: int, axis_name: str | None = None) -> dict:
    if not self.num_classes:  # one draw from `key`: unconditional runs keep their numbers
      return {"z": global_normal(key, n, self.latent_dim, axis_name)}
    kz, ky = jax.random.split(key)
    return {"z": global_normal(kz, n, self.latent_dim, axis_name),
            "label": global_randint(ky, n, self.num_classes, axis_name)}

  def generator_args(self, codes: dict) -> tuple:
    return (codes["z"], codes["label"]) if self.num_classes else (codes["z"],)

  def labels(self, codes: dict):
    """The class labels [n] int32 the codes ask for (None when unconditional)."""
    return codes.get("label")

  def fix(self, codes: dict, values: Mapping | None) -> dict:
    return fixed_codes(self, codes, values)


@dataclasses.dataclass(frozen=True)
class InfoGANPrior:
  """InfoGAN's codes (Chen et al. 2016): noise z ~ N(0, I) [n, noise_dim], a categorical code
  c ~ U{0..K-1} [n] and continuous codes ~ U(-1, 1) [n, continuous_dim], as the reference code
  draws them; G sees concat(z, one_hot(c), continuous) [n, latent_dim]. Unconditional: no label."""
  noise_dim: int
  categorical_dim: int = 10
  continuous_dim: int = 2

  fields = ("noise", "categorical", "continuous")
  latent_field = "noise"

  @property
  def categorical(self) -> dict[str, int]:
    return {"categorical": self.categorical_dim}

  @property
  def latent_dim(self) -> int:
    return self.noise_dim + self.categorical_dim + self.continuous_dim

  def sample(self, key: jax.Array, n: int, axis_name: str | None = None) -> dict:
    kz, kc, ku = jax.random.split(key, 3)
    return {"noise": global_normal(kz, n, self.noise_dim, axis_name),
            "categorical": global_randint(kc, n, self.categorical_dim, axis_name),
            "continuous": global_uniform(ku, n, self.continuous_dim, -1.0, 1.0, axis_name)}

  def generator_args(self, codes: dict) -> tuple:
    onehot = jax.nn.one_hot(codes["categorical"], self.categorical_dim, dtype=jnp.float32)
    return (jnp.concatenate([codes["noise"], onehot, codes["continuous"]], axis=-1),)

  def labels(self, codes: dict):
    return None

  def fix(self, codes: dict, values: Mapping | None) -> dict:
    return fixed_codes(self, codes, values)
