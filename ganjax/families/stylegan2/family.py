"""StyleGAN2 family (Karras et al. 2020): mapping + modulated synthesis G with noise inputs and a
skip architecture, residual D with minibatch stddev (networks.py); non-saturating loss, lazy R1
(config.regularizers), lazy path length, style mixing, w_avg and truncation (objective.py).

Hyperparameters: defaults() below, updated by the config: config.model (channels at resolution
r = min(channel_base // r, channel_max)), config.style_mixing_prob and config.path_length (weight
0: no path-length phase), plus the adversarial objective's loss, regularizers ({"r1": {"weight":
gamma, "every": 16}}) and augment (ADA / DiffAugment). Images: square, power-of-two side >= 8.
"""

from __future__ import annotations

from ganjax.errors import ConfigError
from ganjax.families import FAMILIES, BuildContext
from ganjax.families.assembly import as_subclass, two_player_family
from ganjax.families.checks import hyperparameters, image_shape, latent_dim, number
from ganjax.families.stylegan2.networks import (StyleGAN2Discriminator, StyleGAN2Generator,
                                                noise_dim, num_ws)
from ganjax.families.stylegan2.objective import StyleGAN2Objective, StyleMixingPrior


def defaults() -> dict:
  """Karras et al. 2020 (StyleGAN2: Sec. 2-3, appendix B) and, where the small-data setting
  differs, its CIFAR-10 configuration in StyleGAN2-ADA (Karras et al. 2020b, appendix D, `cifar`
  in NVlabs/stylegan2-ada-pytorch's train.py)."""
  return dict(
      model=dict(
          latent_dim=512,  # StyleGAN2: z in R^512
          w_dim=None,  # None: latent_dim (StyleGAN2: w in R^512)
          mapping_layers=2,  # ADA's cifar config (StyleGAN2: 8)
          mapping_lr_multiplier=0.01,  # StyleGAN (Karras et al. 2019), appendix C: lr' = 0.01 lr
          channel_base=32768,  # ADA's cifar config: fmaps 1 -> channel_base 32768
          channel_max=512,  # StyleGAN2: at most 512 channels
          w_avg_beta=0.995,  # StyleGAN2's code: the moving average of w for truncation
          mbstd_group=4,  # StyleGAN2 (ProGAN's minibatch stddev, group 4; ADA's cifar: 32)
      ),
      style_mixing_prob=0.9,  # StyleGAN2: mixing regularization on 90% of the examples
      # StyleGAN2, Sec. 3.2 and appendix B: path-length weight 2, lazily every 4 G steps, decay
      # 0.01 of its moving target, on half the batch (pl_batch_shrink 2).
      path_length=dict(weight=2.0, every=4, decay=0.01, batch_shrink=2),
  )


def image_size(shape) -> int:
  """The side of square power-of-two images [R, R, C], R >= 8; ConfigError otherwise."""
  return image_shape("stylegan2", shape, square=True, power_of_two=True, minimum=8)[0]


def path_length_options(config, hp) -> dict:
  """hp.path_length, checked: weight >= 0, every >= 1, decay in [0, 1], batch_shrink >= 1 and
  smaller than the batch."""
  for field in ("every", "batch_shrink"):
    number(hp, f"path_length.{field}", integer=True)
  number(hp, "path_length.weight", minimum=0)
  number(hp, "path_length.decay", minimum=0, maximum=1.0)
  opts = dict(hp.path_length)
  if opts["weight"] and config.batch_size < opts["batch_shrink"]:
    raise ConfigError(f"config.path_length.batch_shrink={opts['batch_shrink']} leaves no example of "
                      f"batch_size={config.batch_size}; lower it or raise the batch size.")
  return opts


@FAMILIES.register("stylegan2")
def build(config, ctx: BuildContext):
  hp = hyperparameters(config, defaults())
  size = image_size(ctx.spec.shape)
  z_dim = latent_dim(hp)
  mixing = number(hp, "style_mixing_prob", minimum=0, maximum=1)
  mbstd = number(hp, "model.mbstd_group", minimum=0, integer=True)
  beta = float(number(hp, "model.w_avg_beta", minimum=0, maximum=1))
  channels = dict(channel_base=number(hp, "model.channel_base", integer=True),
                  channel_max=number(hp, "model.channel_max", integer=True))
  w_dim = z_dim if hp.model.w_dim is None else number(hp, "model.w_dim", integer=True)
  g = StyleGAN2Generator(
      tuple(ctx.spec.shape), z_dim=z_dim, w_dim=w_dim,
      mapping_layers=number(hp, "model.mapping_layers", integer=True),
      mapping_lr_multiplier=float(number(hp, "model.mapping_lr_multiplier", above=0)),
      w_avg_beta=beta, axis_name=ctx.axis_name,
      layers=ctx.layers, dtype=ctx.dtype, **channels)
  d = StyleGAN2Discriminator(size, mbstd_group=mbstd, layers=ctx.layers, dtype=ctx.dtype,
                             **channels)
  prior = StyleMixingPrior(z_dim, num_ws(size), noise_dim(size), float(mixing))
  pl = path_length_options(config, hp)
  extend = lambda base: as_subclass(
      base, StyleGAN2Objective, pl_weight=float(pl["weight"]), pl_every=pl["every"],
      pl_decay=float(pl["decay"]), pl_batch_shrink=pl["batch_shrink"])
  return two_player_family(config, ctx, g, d, prior=prior, extend=extend)
