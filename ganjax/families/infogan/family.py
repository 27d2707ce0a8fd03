"""InfoGAN (Chen et al. 2016): DCGAN's networks, the generator fed noise plus a categorical code
and continuous codes (InfoGANPrior, ganjax/objectives/priors.py), a Q head on D's trunk
(ganjax/nn/heads.py) and the mutual-information lower bound in both players' losses
(InfoTerm, ganjax/objectives/aux_terms.py). Unconditional: it reads no labels; the categorical
code discovers the classes by itself.

config.model: noise_dim (62 as the reference), categorical_dim (10), continuous_dim (2),
categorical_weight (1.0), continuous_weight (0.1), q_hidden (128), q_fix_std (True), and DCGAN's
g_base_features, g_mid_features, d_features, dropout_rate, spectral_norm.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.families import FAMILIES, BuildContext, model_number
from ganjax.families.conditional.family import headed_discriminator
from ganjax.families.dcgan.family import check_image_shape, dcgan_generator
from ganjax.nn.heads import QHead
from ganjax.objectives import build_adversarial
from ganjax.objectives.aux_terms import InfoTerm
from ganjax.objectives.priors import InfoGANPrior


@FAMILIES.register("infogan")
def build(config, ctx: BuildContext) -> Family:
  cfg = config.model
  check_image_shape("infogan", ctx.spec.shape)
  prior = InfoGANPrior(model_number(cfg, "noise_dim", 62, integer=True),
                       model_number(cfg, "categorical_dim", 10, minimum=2, integer=True),
                       model_number(cfg, "continuous_dim", 2, minimum=0, integer=True))
  q = QHead(prior.categorical_dim, prior.continuous_dim,
            model_number(cfg, "q_hidden", 128, integer=True),
            bool(cfg.get("q_fix_std", True)), ctx.axis_name, ctx.dtype, ctx.layers)
  g = dcgan_generator(cfg, ctx)
  d = headed_discriminator(cfg, ctx, q_head=q)
  nets = Networks({"g": g, "d": d})
  term = InfoTerm(float(model_number(cfg, "categorical_weight", 1.0, minimum=0)),
                  float(model_number(cfg, "continuous_weight", 0.1, minimum=0)))
  field = ctx.spec.data_field
  objective = build_adversarial(config, nets, prior=prior, generator="g", critic="d",
                                generator_player="g", critic_player="d", field=field, aux=(term,),
                                axis_name=ctx.axis_name)
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (jax.ShapeDtypeStruct((1, prior.latent_dim), jnp.float32),),
                                "d": (ctx.spec.example(),)},
                objective=objective, ema=("g",), fields=(field,))
