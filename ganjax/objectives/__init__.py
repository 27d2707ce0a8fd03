"""Objectives families share: how a batch becomes each phase's loss.

`build_adversarial` makes the two-player adversarial objective (ganjax/objectives/adversarial.py)
from the training block of a config: the adversarial loss (`config.loss`, `config.loss_kwargs`),
the critic's regularizers (`config.regularizers`), augmentation (`config.augment`), the generator's
strategy (`config.g_objective`) and the critic steps (`config.d_steps`).
"""

from ganjax.augment import build_augment
from ganjax.losses import get_loss
from ganjax.objectives.adversarial import AdversarialObjective, PenaltyInputs
from ganjax.objectives.generator_losses import G_OBJECTIVES
from ganjax.regularizers import build_d_penalty


def build_adversarial(config, nets, *, latent_dim: int, generator: str, critic: str,
                      generator_player: str, critic_player: str, field: str,
                      axis_name=None) -> AdversarialObjective:
  d_penalty, penalty_techniques = build_d_penalty(config, critic_player)
  augment, augment_techniques = build_augment(config, axis_name)
  return AdversarialObjective(
      nets=nets, loss=get_loss(config.loss, **dict(config.get("loss_kwargs", {}))),
      latent_dim=latent_dim, generator=generator, critic=critic,
      generator_player=generator_player, critic_player=critic_player, field=field,
      d_steps=config.get("d_steps", 1), axis_name=axis_name, augment=augment, d_penalty=d_penalty,
      techniques=(*penalty_techniques, *augment_techniques),
      g_objective=G_OBJECTIVES.get(config.get("g_objective", "adversarial")))


__all__ = ["AdversarialObjective", "PenaltyInputs", "G_OBJECTIVES", "build_adversarial"]
