"""BiGAN / ALI family (Donahue et al. 2017; Dumoulin et al. 2017): DCGAN's generator G, a
deterministic convolutional encoder E and a joint discriminator D(x, z) (networks.py), trained by
the BiGAN objective (objective.py). Players: "g" trains G and E together, "d" trains D; EMA copies
of G and E are used for sampling and encoding (experiments/encode.py).

Hyperparameters: defaults() below, updated by the config (config.model, config.loss /
loss_kwargs, config.d_steps). One optimizer per player: config.optimizers.g and .d.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import game
from ganjax.families.bigan.networks import BiGANEncoder, JointDiscriminator
from ganjax.families.bigan.objective import BiGANObjective
from ganjax.families.checks import hyperparameters, image_shape, latent_dim, number, widths
from ganjax.families.shared import DCGAN_CRITIC, DCGAN_GENERATOR, critic_trunk, dcgan_generator
from ganjax.objectives.losses import loss_from_config


def defaults() -> dict:
  """Donahue et al. 2017 on DCGAN's networks (ganjax/families/shared.py); D's z branch and joint
  layer are ganjax's sizes."""
  return dict(
      model=dict(
          latent_dim=50,  # Donahue et al. 2017, Sec. 4.1 (MNIST): a 50-d latent
          e_features=None,  # E's DCGAN trunk; None: d_features (E mirrors D's x branch)
          d_z_features=256,  # ganjax's: D's z branch, Dense(256) LeakyReLU(0.2)
          d_hidden=512,  # ganjax's: D's joint layer, Dense(512) LeakyReLU(0.2) Dropout
          **DCGAN_GENERATOR, **DCGAN_CRITIC),
      loss="non_saturating",  # Donahue et al.: the GAN game, G and E on the non-saturating side
      loss_kwargs={},
      d_steps=1,  # Donahue et al.: one D update per G/E update
  )


def _check_unsupported(config) -> None:
  """ConfigError for training options of the DCGAN objective that BiGAN's does not implement."""
  used = []
  if config.get("regularizers", None):
    used.append("regularizers")
  augment = config.get("augment", None) or {}
  if augment.get("policy", "") or augment.get("ada", False):
    used.append("augment")
  if config.get("g_objective", "adversarial") != "adversarial":
    used.append("g_objective")
  if used:
    raise ConfigError(f"model 'bigan' does not support {used}; remove them from the config "
                      f"(BiGAN trains with config.loss, config.loss_kwargs and config.d_steps).")


@FAMILIES.register("bigan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  image_shape("bigan", ctx.spec.shape, divisor=4)
  _check_unsupported(config)
  latent = latent_dim(hp)
  trunk = critic_trunk(hp)
  e_features = trunk["features"] if hp.model.e_features is None else widths(hp, "model.e_features")
  g = dcgan_generator(hp, ctx)
  e = BiGANEncoder(latent, e_features, dtype=ctx.dtype, layers=ctx.layers)
  d = JointDiscriminator(trunk["features"], number(hp, "model.d_z_features", integer=True),
                         number(hp, "model.d_hidden", integer=True), trunk["dropout_rate"],
                         trunk["spectral_norm"], dtype=ctx.dtype, layers=ctx.layers)
  field = ctx.spec.data_field
  z = jax.ShapeDtypeStruct((1, latent), jnp.float32)
  return game({"g": g, "e": e, "d": d}, {"g": ("g", "e"), "d": ("d",)},
              {"g": (z,), "e": (ctx.spec.example(),), "d": (ctx.spec.example(), z)},
              lambda nets: BiGANObjective(nets, loss_from_config(hp), latent, field,
                                          number(hp, "d_steps", integer=True), ctx.axis_name),
              ema=("g", "e"), fields=(field,))
