"""Building a family from its networks: the one place that turns modules, players and an objective
into a `Family` (ganjax/core/phases.py).

  game(networks, players, example_inputs, objective, ema=, fields=, frozen=)
      any game: {network: module}, {player: its networks}, {network: example inputs}, and
      objective(nets) building the objective on the family's Networks; frozen networks' loaders.
  two_player_family(config, ctx, generator, critic, prior=..., extend=, fields=)
      the common game: a generator G(*codes) (player "g", with an EMA copy for sampling) against a
      critic D(x) or D(x, label) (player "d"), trained by the adversarial objective
      (ganjax/objectives) on the dataset's data field; G's example inputs come from its prior.
  latent_gan_family(config, ctx, generator, critic, latent=)
      the same with a Gaussian latent (of config.model.latent_dim unless given).
  translator_pair(ctx, translator, critic, objective, critic_extras=)
      two translators g_ab, g_ba (player "g", EMA copies) against two critics d_a, d_b (player
      "d", which also keeps `critic_extras`, e.g. replay pools) on unpaired fields "a" and "b".
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.families.checks import latent_dim
from ganjax.objectives import build_adversarial
from ganjax.objectives.priors import GaussianPrior

LABEL = jax.ShapeDtypeStruct((1,), jnp.int32)  # one class label, as D(x, label) and G(z, label) take


def game(networks: Mapping[str, Any], players: Mapping[str, tuple[str, ...]],
         example_inputs: Mapping[str, tuple], objective: Callable[[Networks], Any], *,
         ema: tuple[str, ...], fields: tuple[str, ...],
         frozen: Mapping[str, Callable[[], dict]] | None = None) -> Family:
  """A Family of any number of players: `objective(nets)` is built on Networks(networks);
  frozen: {network: () -> flax variables} of the networks no player trains (feature nets)."""
  nets = Networks(networks)
  return Family(networks=nets.modules, players=players, example_inputs=example_inputs,
                objective=objective(nets), ema=ema, fields=fields, frozen=dict(frozen or {}))


def prior_inputs(prior) -> tuple:
  """G's example inputs (ShapeDtypeStructs of one example) for codes drawn from `prior`."""
  return tuple(jax.eval_shape(lambda: prior.generator_args(prior.sample(jax.random.PRNGKey(0), 1))))


def two_player_family(config, ctx, generator, critic, *, prior, critic_reads_label: bool = False,
                      extend: Callable | None = None, fields=None, **adversarial) -> Family:
  """Players {"g": ("g",), "d": ("d",)}, ema ("g",), the adversarial objective
  (ganjax.objectives.build_adversarial, with `adversarial`: aux terms, g_penalty) on the dataset's
  data field; `extend(objective)` replaces it, e.g. by a subclass with more phases
  (`as_subclass`). critic_reads_label: D is called as D(x, label). fields: the batch fields read
  (Family.fields); default the data field, and "label" when G is class-conditional (a "label"
  among the prior's codes)."""
  field = ctx.spec.data_field

  def objective(nets):
    base = build_adversarial(config, nets, prior=prior, generator="g", critic="d",
                             generator_player="g", critic_player="d", field=field,
                             critic_reads_label=critic_reads_label, axis_name=ctx.axis_name,
                             **adversarial)
    return extend(base) if extend is not None else base

  critic_inputs = (ctx.spec.example(), LABEL) if critic_reads_label else (ctx.spec.example(),)
  if fields is None:
    fields = (field, "label") if "label" in prior.fields else (field,)
  return game({"g": generator, "d": critic}, {"g": ("g",), "d": ("d",)},
              {"g": prior_inputs(prior), "d": critic_inputs}, objective, ema=("g",), fields=fields)


def as_subclass(base, cls, **more):
  """`cls` (a dataclass subclass of `base`'s class) with every field of `base` and `more`."""
  return cls(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)}, **more)


def latent_gan_family(config, ctx, generator, critic, *, latent: int | None = None) -> Family:
  """two_player_family with G(z), z ~ N(0, I) of `latent` dimensions (default
  config.model.latent_dim)."""
  latent = latent_dim(config) if latent is None else latent
  return two_player_family(config, ctx, generator, critic, prior=GaussianPrior(latent))


def translator_pair(ctx, translator: Callable[[], Any], critic: Callable[[], Any],
                    objective: Callable[[Networks], Any], *,
                    critic_extras: Mapping[str, Any] | None = None) -> Family:
  """Networks g_ab, g_ba = translator(), d_a, d_b = critic() and `critic_extras`; players "g"
  (both translators, with EMA copies) and "d" (the rest); every network initialised on one image
  of domain "a"; batch fields "a" and "b"."""
  extras = dict(critic_extras or {})
  networks = {"g_ab": translator(), "g_ba": translator(), "d_a": critic(), "d_b": critic(), **extras}
  example = (ctx.spec.example("a"),)
  return game(networks, {"g": ("g_ab", "g_ba"), "d": ("d_a", "d_b", *extras)},
              {n: example for n in networks}, objective, ema=("g_ab", "g_ba"), fields=("a", "b"))
