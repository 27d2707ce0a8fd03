"""StyleGAN2 (Karras et al. 2020) on Fashion-MNIST padded to 32x32 (ganjax/families/stylegan2).

Hyperparameters after StyleGAN2-ADA's `cifar` config (NVlabs/stylegan2-ada-pytorch, train.py):
Adam lr 0.0025, betas (0, 0.99), eps 1e-8 for both players; R1 gamma 0.01, lazy every 16 steps;
a 2-layer mapping network (8 in the paper) with lr multiplier 0.01; an EMA of G for samples.
Unlike the cifar config (which turns them off) this keeps the paper's path length regularization
(weight 2, every 4 steps), style mixing (0.9) and residual D, and its minibatch stddev group 4
(cifar: 32).

Lazy regularization: the reference rescales each player's Adam by mb_ratio = every / (every + 1)
(lr * mb_ratio, betas ** mb_ratio) because the regularization steps add updates; `lazy_adam` does
the same here (G: every 4 -> 0.8, D: every 16 -> 16/17).

Sized for a 2-core CPU: channels min(1024 // res, 128) (128 at 4 and 8, 64 at 16, 32 at 32),
z = w = 128, batch 32; the paper's (and the cifar config's) are 512 channels at every
resolution, z = w = 512, batch 64. Its step rate on the 2-core CPU: BENCHMARKS.md ("Speed against
the PyTorch peers").
No augmentation by default (60k images); DiffAugment or ADA: --config.augment.policy=... .
"""

import ml_collections

from experiments.configs import base

LR, BETAS = 0.0025, (0.0, 0.99)
R1_EVERY, PL_EVERY = 16, 4


def lazy_adam(lr: float, betas: tuple[float, float], every: int) -> dict:
  """Adam for a player regularized every `every` steps: lr * r, betas ** r, r = every / (every + 1)
  (StyleGAN2-ADA's training_loop.py)."""
  r = every / (every + 1)
  return dict(name="adam", learning_rate=lr * r, b1=betas[0] ** r, b2=betas[1] ** r, eps=1e-8)


def get_config() -> ml_collections.ConfigDict:
  c = base.get_config()
  c.dataset.name = "fashion_mnist32"
  c.model = ml_collections.ConfigDict(dict(
      name="stylegan2",
      latent_dim=128, w_dim=128,          # paper: 512, 512
      mapping_layers=2,                   # cifar config: 2; paper: 8
      mapping_lr_multiplier=0.01,
      channel_base=1024, channel_max=128,  # paper / cifar: 32768, 512 (512 channels everywhere)
      w_avg_beta=0.995,
      mbstd_group=4))
  c.loss = "non_saturating"
  c.loss_kwargs = ml_collections.ConfigDict()
  c.regularizers = ml_collections.ConfigDict({"r1": {"weight": 0.01, "every": R1_EVERY}})
  c.path_length = ml_collections.ConfigDict(dict(weight=2.0, every=PL_EVERY, decay=0.01,
                                                 batch_shrink=2))
  c.style_mixing_prob = 0.9
  c.g_objective = "adversarial"
  c.d_steps = 1
  c.augment = ml_collections.ConfigDict(dict(policy="", p=1.0, ada=False, ada_p_init=0.0,
                                             ada_target=0.6, ada_interval=4, ada_kimg=500.0))
  c.optimizers = ml_collections.ConfigDict(dict(g=lazy_adam(LR, BETAS, PL_EVERY),
                                                d=lazy_adam(LR, BETAS, R1_EVERY)))
  c.batch_size = 32  # cifar config: 64
  c.num_train_steps = 5000
  # The reference's EMA half-life is 500k images for cifar (ramped up over the first 5% of
  # training); 0.999 (a half-life of ~700 steps, 22k images) suits runs of a few thousand steps.
  c.ema_decay = 0.999
  c.log_every, c.sample_every, c.checkpoint_every = 50, 500, 500
  return c
