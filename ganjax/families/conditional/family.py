"""Class-conditional GANs on DCGAN's networks: one folder, three families that differ in how the
class reaches each player (ganjax/families/conditional/networks.py for the heads).

  "cgan"        Mirza & Osindero 2014: label embedding concatenated to z; one-hot label planes
                concatenated to D's input.
  "acgan"       Odena et al. 2017: label embedding concatenated to z; D unconditional with an
                auxiliary classifier head, class cross-entropy on real and fake in D's loss and
                on fake in G's (model.class_weight).
  "projection"  Miyato & Koyama 2018: conditional BatchNorm in G, the projection term
                <V[y], phi(x)> in D; pair it with the hinge loss and spectral norm (its config).

config.model: latent_dim, label_embed_dim (16), class_weight (ACGAN, 1.0), and DCGAN's
g_base_features, g_mid_features, d_features, dropout_rate, spectral_norm. The number of classes
is the dataset's. Batches need the "label" field.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.phases import Family
from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.conditional.networks import HeadedDiscriminator
from ganjax.families.dcgan.family import check_image_shape, dcgan_generator
from ganjax.families.latent_gan import latent_dim_of
from ganjax.objectives import build_adversarial
from ganjax.objectives.aux_terms import ClassifierTerm
from ganjax.objectives.priors import GaussianPrior

# family -> (G's conditioning, D's label input, D has a class head)
KINDS = {"cgan": ("concat", "planes", False),
         "acgan": ("concat", "none", True),
         "projection": ("batch_norm", "projection", False)}


def number_of_classes(name: str, spec) -> int:
  if spec.num_classes < 2:
    raise ConfigError(f"model {name!r} conditions on classes but the dataset has "
                      f"{spec.num_classes}; pick a labelled dataset (config.dataset.name).")
  return spec.num_classes


def headed_discriminator(cfg, ctx: BuildContext, **heads) -> HeadedDiscriminator:
  """DCGAN's discriminator trunk from config.model (d_features, dropout_rate, spectral_norm)
  with the given heads."""
  return HeadedDiscriminator(features=tuple(cfg.get("d_features", (64, 128))),
                             dropout_rate=cfg.get("dropout_rate", 0.4),
                             spectral_norm=cfg.get("spectral_norm", False), dtype=ctx.dtype,
                             layers=ctx.layers, **heads)


def build_conditional(name: str, config, ctx: BuildContext) -> Family:
  cfg = config.model
  check_image_shape(name, ctx.spec.shape)
  if cfg.get("g_norm", "batch") != "batch":
    raise ConfigError(f"model {name!r} needs model.g_norm='batch' (a virtual batch's reference "
                      f"latents carry no class), got {cfg.g_norm!r}.")
  k = number_of_classes(name, ctx.spec)
  g_conditioning, label_input, class_head = KINDS[name]
  g = dcgan_generator(cfg, ctx, num_classes=k, conditioning=g_conditioning,
                      label_embed_dim=cfg.get("label_embed_dim", 16))
  d = headed_discriminator(cfg, ctx, num_classes=k, label_input=label_input, class_head=class_head)
  nets = Networks({"g": g, "d": d})
  latent = latent_dim_of(config)
  aux = (ClassifierTerm(float(cfg.get("class_weight", 1.0))),) if class_head else ()
  field = ctx.spec.data_field
  objective = build_adversarial(config, nets, prior=GaussianPrior(latent, k), generator="g",
                                critic="d", generator_player="g", critic_player="d", field=field,
                                critic_reads_label=label_input != "none", aux=aux,
                                axis_name=ctx.axis_name)
  label = jax.ShapeDtypeStruct((1,), jnp.int32)
  d_inputs = (ctx.spec.example(), label) if label_input != "none" else (ctx.spec.example(),)
  return Family(networks=nets.modules, players={"g": ("g",), "d": ("d",)},
                example_inputs={"g": (jax.ShapeDtypeStruct((1, latent), jnp.float32), label),
                                "d": d_inputs},
                objective=objective, ema=("g",), fields=(field, "label"))


for _name in KINDS:
  FAMILIES.register(_name)(lambda config, ctx, _name=_name: build_conditional(_name, config, ctx))
