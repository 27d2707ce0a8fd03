"""Hyperparameter blocks and network builders that several families share, so that no family
imports another's: DCGAN's generator and critic trunk (ganjax/nn/dcgan.py; the dcgan, cgan, acgan,
projection, infogan and bigan families) and the cross-example critic layers (ganjax/nn/minibatch.py;
dcgan and mlp). A family's `defaults()` spreads the blocks it reads into its "model" block; each
value is the seed's (Geron, Hands-On ML, 2nd ed., ch. 17, "Deep Convolutional GANs") or the paper's
named beside it.
"""

from __future__ import annotations

from ganjax.families.checks import flag, number, one_of, widths
from ganjax.nn.dcgan import DCGANGenerator, HeadedDiscriminator

DCGAN_GENERATOR = dict(
    g_base_features=128,  # seed: Dense(7 * 7 * 128) -> reshape [7, 7, 128] at the bottom
    g_mid_features=64,  # seed: Conv2DTranspose(64, 5, strides=2)
    # seed: BatchNormalization; "virtual_batch": Salimans et al. 2016, Sec. 3.4.
    g_norm="batch",
    # ganjax's: Salimans et al. fix one reference batch at the start of training.
    vbn_reference_size=32,
)

DCGAN_CRITIC = dict(
    d_features=(64, 128),  # seed: Conv2D(64, 5, strides=2), Conv2D(128, 5, strides=2)
    dropout_rate=0.4,  # seed: Dropout(0.4) after each convolution
    spectral_norm=False,  # Miyato et al. 2018; off in the seed
)

NORMS = ("instance", "batch", "none")  # the image-to-image networks' (ganjax/nn/patchgan.py)

MINIBATCH = dict(
    minibatch_stddev=False,  # Karras et al. 2018 (ProGAN), Sec. 3; off in the seed
    minibatch_stddev_group=4,  # Karras et al.'s code: group size 4
    # Salimans et al. 2016, Sec. 3.2: number of kernels (their code: 100); 0 = off, as the seed.
    minibatch_discrimination=0,
    minibatch_kernel_dim=5,  # Salimans et al.'s code: dim_per_kernel 5
)


def generator_norm(hp) -> str:
  """config.model.g_norm ("batch" | "virtual_batch"), with vbn_reference_size >= 1 for the latter."""
  norm = one_of(hp, "model.g_norm", ("batch", "virtual_batch"))
  if norm == "virtual_batch":
    number(hp, "model.vbn_reference_size", integer=True)
  return norm


def dcgan_generator(hp, ctx, **options) -> DCGANGenerator:
  """DCGAN's generator for the dataset's image shape from hp.model's DCGAN_GENERATOR fields;
  `options` sets further fields (class conditioning)."""
  return DCGANGenerator(tuple(ctx.spec.shape), number(hp, "model.g_base_features", integer=True),
                        number(hp, "model.g_mid_features", integer=True), ctx.axis_name,
                        dtype=ctx.dtype, norm=generator_norm(hp),
                        vbn_reference_size=hp.model.vbn_reference_size, layers=ctx.layers, **options)


def critic_trunk(hp) -> dict:
  """DCGANTrunk's fields (features, dropout_rate, spectral_norm) from hp.model's DCGAN_CRITIC."""
  return dict(features=widths(hp, "model.d_features"),
              dropout_rate=number(hp, "model.dropout_rate", minimum=0, maximum=1),
              spectral_norm=flag(hp, "model.spectral_norm"))


def headed_critic(hp, ctx, **heads) -> HeadedDiscriminator:
  """DCGAN's critic trunk from hp.model (DCGAN_CRITIC) with the given heads (ganjax/nn/dcgan.py)."""
  return HeadedDiscriminator(dtype=ctx.dtype, layers=ctx.layers, **critic_trunk(hp), **heads)
