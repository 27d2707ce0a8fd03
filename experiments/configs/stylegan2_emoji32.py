"""StyleGAN2 (Karras et al. 2020) on 32x32 colour emoji (1240 training images), with adaptive
augmentation ON by default (ganjax/families/stylegan2, ganjax/objectives/augment.py).

Everything as experiments/configs/stylegan2_fashion_mnist32.py (StyleGAN2-ADA's cifar
hyperparameters, CPU widths, lazy R1 and path length, style mixing, EMA), plus `config.augment`:
ADA's adaptive probability p (Karras et al. 2020b, "Training Generative Adversarial Networks with
Limited Data": target r_t 0.6, adjusted every 4 steps) over DiffAugment's color, translation and
cutout ops (ganjax's augmentation set; the paper's full pipeline has more ops). ada_kimg = 100
(paper: 500) so p can move within a few thousand steps of batch 32.
Without augmentation: --config.augment.policy='' . Fixed-probability DiffAugment:
--config.augment.ada=False (p = config.augment.p).
"""

import ml_collections

from experiments.configs import stylegan2_fashion_mnist32


def get_config() -> ml_collections.ConfigDict:
  c = stylegan2_fashion_mnist32.get_config()
  c.dataset.name = "emoji32"
  c.augment = ml_collections.ConfigDict(dict(policy="color,translation,cutout", p=1.0, ada=True,
                                             ada_p_init=0.0, ada_target=0.6, ada_interval=4,
                                             ada_kimg=100.0))
  return c
