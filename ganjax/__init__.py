"""ganjax: Generative Adversarial Networks in JAX/Flax.

The package is organised around one idea: a GAN is a game between a generator side and a
discriminator side, trained by one pure compiled step over a `GANState` pytree. See
`docs/architecture.md`.
"""

__version__ = "0.1.0"
