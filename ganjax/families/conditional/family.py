"""Class-conditional GANs on DCGAN's networks (ganjax/nn/dcgan.py): one folder, three families
that differ in how the class reaches each player.

  "cgan"        Mirza & Osindero 2014: label embedding concatenated to z; one-hot label planes
                concatenated to D's input.
  "acgan"       Odena et al. 2017: label embedding concatenated to z; D unconditional with an
                auxiliary classifier head, class cross-entropy on real and fake in D's loss and
                on fake in G's (model.class_weight).
  "projection"  Miyato & Koyama 2018: conditional BatchNorm in G, the projection term
                <V[y], phi(x)> in D; pair it with the hinge loss and spectral norm (its config).

Hyperparameters: defaults(name) below, updated by config.model. The number of classes is the
dataset's. Batches need the "label" field.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import two_player_family
from ganjax.families.checks import classes, hyperparameters, image_shape, latent_dim, number
from ganjax.families.shared import DCGAN_CRITIC, DCGAN_GENERATOR, dcgan_generator, headed_critic
from ganjax.objectives.aux_terms import ClassifierTerm
from ganjax.objectives.priors import GaussianPrior

# family -> (G's conditioning, D's label input, D has a class head)
KINDS = {"cgan": ("concat", "planes", False),
         "acgan": ("concat", "none", True),
         "projection": ("batch_norm", "projection", False)}


def defaults(name: str) -> dict:
  """DCGAN's networks (ganjax/families/shared.py) with the class inputs of family `name`."""
  model = dict(
      latent_dim=100,  # Mirza & Osindero 2014, Sec. 4.1: 100-d noise (as DCGAN's z)
      label_embed_dim=16,  # ganjax's (Mirza & Osindero feed a one-hot y through a 1000-unit layer)
      **DCGAN_GENERATOR, **DCGAN_CRITIC)
  if name == "acgan":
    model["class_weight"] = 1.0  # Odena et al. 2017, Sec. 3: L_S + L_C, equally weighted
  return dict(model=model)


def build_conditional(name: str, config, ctx: BuildContext):
  hp = hyperparameters(config, defaults(name))
  image_shape(name, ctx.spec.shape, divisor=4)
  if hp.model.g_norm != "batch":
    raise ConfigError(f"model {name!r} needs model.g_norm='batch' (a virtual batch's reference "
                      f"latents carry no class), got {hp.model.g_norm!r}.")
  k = classes(name, ctx.spec)
  g_conditioning, label_input, class_head = KINDS[name]
  g = dcgan_generator(hp, ctx, num_classes=k, conditioning=g_conditioning,
                      label_embed_dim=number(hp, "model.label_embed_dim", integer=True))
  d = headed_critic(hp, ctx, num_classes=k, label_input=label_input, class_head=class_head)
  aux = (ClassifierTerm(float(number(hp, "model.class_weight", minimum=0))),) if class_head else ()
  return two_player_family(config, ctx, g, d, prior=GaussianPrior(latent_dim(hp), k),
                           critic_reads_label=label_input != "none", aux=aux)


for _name in KINDS:
  FAMILIES.register(_name)(lambda config, ctx, _name=_name: build_conditional(_name, config, ctx))
