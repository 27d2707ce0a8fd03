"""BigGAN-lite (Brock et al. 2019) on Fashion-MNIST padded to 32x32, conditional on its 10 classes
(ganjax/families/biggan): hierarchical latents and a shared class embedding into conditional
BatchNorms, self-attention at 16x16 in both players, spectral norm in both, projection
discriminator, hinge loss, an EMA of G, orthogonal regularization of G (beta 1e-4).

Training, sized for a 2-core CPU and measured there (BENCHMARKS.md, "BigGAN-lite"): 2 D steps per
G step (BigGAN's ImageNet setting; its CIFAR-10 script: 4), Adam 5e-4 for both players with betas
(0, 0.999) (BigGAN-PyTorch's CIFAR script: 2e-4), G 32 / D 32 channels, batch 32, 3000 steps.
BigGAN-PyTorch's CIFAR values: G and D 256 channels (ch 64 x 4), batch 50, z 128, shared
embedding 128, EMA decay 0.9999 from iteration 1000 (here the warm-up decay min(0.999, (1 + t) /
(10 + t)) of every family). The paper's recipe: --config.d_steps=4
--config.optimizers.g.learning_rate=2e-4 --config.optimizers.d.learning_rate=2e-4 (and wider
--config.model.g_features / d_features).
Its CIFAR script turns orthogonal regularization and attention off (G_ortho 0, G_attn / D_attn 0);
the paper's full recipe, which this config follows, has both.
"""

import ml_collections

from experiments.configs import dcgan_fashion_mnist


def get_config() -> ml_collections.ConfigDict:
  c = dcgan_fashion_mnist.get_config()
  c.dataset.name = "fashion_mnist32"
  c.model = ml_collections.ConfigDict(dict(
      name="biggan",
      latent_dim=128,  # 4 chunks of 32: the dense layer's and one per generator block
      embed_dim=128,  # the shared class embedding
      g_features=32,  # BigGAN CIFAR: 256
      d_features=32,  # BigGAN CIFAR: 256
      attention_resolution=16,
      spectral_norm=True))
  c.loss = "hinge"
  c.d_steps = 2  # BigGAN CIFAR: 4; ImageNet: 2
  c.g_ortho_beta = 1e-4  # orthogonal regularization of G's kernels (0 = off)
  c.optimizers = ml_collections.ConfigDict(dict(
      g=dict(name="adam", learning_rate=5e-4, b1=0.0, b2=0.999),  # BigGAN CIFAR: 2e-4
      d=dict(name="adam", learning_rate=5e-4, b1=0.0, b2=0.999)))
  c.batch_size = 32  # BigGAN CIFAR: 50
  c.num_train_steps = 3000
  c.ema_decay = 0.999
  c.num_grid_samples = 80  # the training grid: a row of 8 per class
  c.log_every, c.sample_every, c.checkpoint_every = 50, 500, 500
  return c
