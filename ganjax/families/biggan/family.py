"""BigGAN-lite family (Brock et al. 2019 at 32x32, networks.py): class-conditional, hierarchical
latents and a shared class embedding into conditional BatchNorms, self-attention in both players,
spectral norm in both, a projection discriminator (ganjax/nn/resnet.py), the hinge loss (config),
an EMA of G for sampling and orthogonal regularization of G's kernels
(ganjax/objectives/weight_penalties.py) added to G's loss through AdversarialObjective's g_penalty.

Hyperparameters: defaults() below, updated by the config (config.model, config.g_ortho_beta).
Batches need the "label" field. Images: square, H = W divisible by 8.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import two_player_family
from ganjax.families.checks import classes, flag, hyperparameters, image_shape, latent_dim, number
from ganjax.families.biggan.networks import LATENT_CHUNKS, ORTHOGONAL, BigGANGenerator
from ganjax.nn.resnet import UP_BLOCKS, ResNetDiscriminator
from ganjax.objectives.priors import GaussianPrior
from ganjax.objectives.weight_penalties import orthogonal_regularization


def defaults() -> dict:
  """Brock et al. 2019 (Sec. 3, 4 and appendix B) at CIFAR scale, as their code's CIFAR
  configuration (ajbrock/BigGAN-PyTorch)."""
  return dict(
      model=dict(
          latent_dim=128,  # the code's CIFAR dim_z (divisible by 4: one chunk per block, Sec. 4)
          embed_dim=128,  # the code's shared_dim: the shared class embedding (Sec. 4)
          g_features=256,  # appendix B, CIFAR: G's ch = 4 x 64 at every block
          d_features=256,  # appendix B, CIFAR: D's ch = 4 x 64
          attention_resolution=16,  # ganjax's at 32x32 (the paper: at 64x64 of 128x128 images)
          spectral_norm=True,  # Sec. 3: SN in G and D (Zhang et al. 2019)
      ),
      g_ortho_beta=1e-4,  # Sec. 3.1: orthogonal regularization, beta = 1e-4; 0 = off
  )


def attention_resolution(hp, size: int) -> int:
  """config.model.attention_resolution, checked to be 0 or a size both players' blocks output
  (G's blocks: H/4, H/2, H; D's: H/2, H/4)."""
  res = hp.model.attention_resolution
  sizes = sorted({size // 4, size // 2})
  if res != 0 and res not in sizes:
    raise ConfigError(f"config.model.attention_resolution must be 0 (none) or a size where both "
                      f"players have a block output, {sizes} for {size}x{size} images; got {res!r}.")
  return res


@FAMILIES.register("biggan")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  shape = image_shape("biggan", ctx.spec.shape, divisor=2 ** UP_BLOCKS, square=True)
  k = classes("biggan", ctx.spec)
  latent = latent_dim(hp)
  if latent % LATENT_CHUNKS:
    raise ConfigError(f"config.model.latent_dim must be divisible by {LATENT_CHUNKS} (one chunk for the "
                      f"dense layer and one per generator block), got {latent}.")
  res = attention_resolution(hp, shape[0])
  sn = flag(hp, "model.spectral_norm")
  g = BigGANGenerator(shape, k, number(hp, "model.g_features", integer=True),
                      number(hp, "model.embed_dim", integer=True), res, sn, ctx.axis_name,
                      dtype=ctx.dtype, layers=ctx.layers)
  d = ResNetDiscriminator(number(hp, "model.d_features", integer=True), sn, res, k,
                          residual_init=ORTHOGONAL, shortcut_init=ORTHOGONAL,
                          dense_init=ORTHOGONAL, dtype=ctx.dtype, layers=ctx.layers)
  beta = float(number(hp, "g_ortho_beta", minimum=0))
  return two_player_family(config, ctx, g, d, prior=GaussianPrior(latent, k),
                           critic_reads_label=True,
                           g_penalty=orthogonal_regularization(beta) if beta else None)
