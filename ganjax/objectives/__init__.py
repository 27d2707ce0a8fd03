"""Objectives families share: how a batch becomes each phase's loss.

`build_adversarial` makes the two-player adversarial objective (ganjax/objectives/adversarial.py)
from the training block of a config: the adversarial loss (`config.loss`, `config.loss_kwargs`),
the critic's regularizers (`config.regularizers`), augmentation (`config.augment`), the generator's
strategy (`config.g_objective`) and the critic steps (`config.d_steps`).
"""

from ganjax.objectives.augment import build_augment
from ganjax.objectives.losses import loss_from_config
from ganjax.objectives.adversarial import AdversarialObjective, AuxTerm, PenaltyInputs
from ganjax.objectives.generator_losses import G_OBJECTIVES
from ganjax.objectives.regularizers import build_d_penalty


def build_adversarial(config, nets, *, prior, generator: str, critic: str,
                      generator_player: str, critic_player: str, field: str,
                      critic_reads_label: bool = False, aux: tuple = (),
                      axis_name=None, g_penalty=None) -> AdversarialObjective:
  """prior: the generator's codes (ganjax/objectives/priors.py); critic_reads_label: D is called
  as D(x, labels); aux: AuxTerm losses on D's auxiliary heads; g_penalty: a weight penalty on G's
  parameters added to its loss (AdversarialObjective)."""
  d_penalty, penalty_techniques = build_d_penalty(config, critic_player)
  augment, augment_techniques = build_augment(config, axis_name)
  return AdversarialObjective(
      nets=nets, loss=loss_from_config(config),
      prior=prior, generator=generator, critic=critic,
      generator_player=generator_player, critic_player=critic_player, field=field,
      critic_reads_label=critic_reads_label, aux=tuple(aux),
      d_steps=config.get("d_steps", 1), axis_name=axis_name, augment=augment, d_penalty=d_penalty,
      techniques=(*penalty_techniques, *augment_techniques),
      g_objective=G_OBJECTIVES.get(config.get("g_objective", "adversarial")), g_penalty=g_penalty)


__all__ = ["AdversarialObjective", "AuxTerm", "PenaltyInputs", "G_OBJECTIVES", "build_adversarial"]
