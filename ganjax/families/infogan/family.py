"""InfoGAN (Chen et al. 2016): DCGAN's networks, the generator fed noise plus a categorical code
and continuous codes (InfoGANPrior, ganjax/objectives/priors.py), a Q head on D's trunk
(ganjax/nn/heads.py) and the mutual-information lower bound in both players' losses
(InfoTerm, ganjax/objectives/aux_terms.py). Unconditional: it reads no labels; the categorical
code discovers the classes by itself. Hyperparameters: defaults() below, updated by config.model.
"""

from __future__ import annotations

from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import two_player_family
from ganjax.families.checks import flag, hyperparameters, image_shape, number
from ganjax.families.shared import DCGAN_CRITIC, DCGAN_GENERATOR, dcgan_generator, headed_critic
from ganjax.nn.heads import QHead
from ganjax.objectives.aux_terms import InfoTerm
from ganjax.objectives.priors import InfoGANPrior


def defaults() -> dict:
  """Chen et al. 2016, Sec. 7 and appendix C.1 (MNIST), and the reference code
  (openai/InfoGAN), on DCGAN's networks (ganjax/families/shared.py)."""
  return dict(model=dict(
      noise_dim=62,  # appendix C.1: 62-d noise
      categorical_dim=10,  # Sec. 7.1: one 10-way categorical code c1
      continuous_dim=2,  # Sec. 7.1: two continuous codes c2, c3 ~ U(-1, 1)
      categorical_weight=1.0,  # Sec. 6: lambda = 1 for discrete codes
      continuous_weight=0.1,  # Sec. 6: a smaller lambda for continuous codes (the code's 0.1)
      q_hidden=128,  # appendix C.1: Q's FC.128-BN-lReLU on D's trunk
      q_fix_std=True,  # the reference code: Q's Gaussians with a fixed unit std
      **DCGAN_GENERATOR, **DCGAN_CRITIC))


@FAMILIES.register("infogan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  image_shape("infogan", ctx.spec.shape, divisor=4)
  prior = InfoGANPrior(number(hp, "model.noise_dim", integer=True),
                       number(hp, "model.categorical_dim", minimum=2, integer=True),
                       number(hp, "model.continuous_dim", minimum=0, integer=True))
  q = QHead(prior.categorical_dim, prior.continuous_dim,
            number(hp, "model.q_hidden", integer=True), flag(hp, "model.q_fix_std"),
            ctx.axis_name, ctx.dtype, ctx.layers)
  g = dcgan_generator(hp, ctx)
  d = headed_critic(hp, ctx, q_head=q)
  term = InfoTerm(float(number(hp, "model.categorical_weight", minimum=0)),
                  float(number(hp, "model.continuous_weight", minimum=0)))
  return two_player_family(config, ctx, g, d, prior=prior, aux=(term,))
