r"""StyleGAN2 sized from its dataset's resolution, as StyleGAN2-ADA's `--cfg=auto`:

  python experiments/train.py --config=experiments/configs/stylegan2.py:photos --workdir=runs/sg2

The argument is a dataset name (a shipped one, or a folder prepared by
experiments/prepare_dataset.py); its images must be square with a power-of-two side R >= 8.
Everything else is experiments/configs/stylegan2_fashion_mnist32.py (lazy R1 and path length,
style mixing, lazy Adam betas (0, 0.99)). The rules, for one device (NVlabs/stylegan2-ada-pytorch,
train.py, cfg 'auto'; `auto_hyperparameters` below):

  batch          min(4096 // R, 32)               (mb; at most 64)
  mbstd group    min(batch, 4)
  channels       channel_base 16384 (fmaps 0.5; 32768 from R = 512), channel_max 512
  learning rate  0.0025 (0.002 from R = 1024), both players
  R1 gamma       0.0002 * R^2 / batch
  EMA            half-life batch * 10 / 32 kimg: decay 0.5 ** (batch / (half-life * 1000))
  mapping        2 layers

Not reproduced: the EMA ramp-up (ramp 0.05: a shorter half-life early in training) and the
multi-GPU batch rule (batch scales with the GPU count; set --config.batch_size). These are the
paper's widths (512 channels at low resolution): on a CPU, --config.model.channel_base=1024
--config.model.channel_max=128 gives stylegan2_fashion_mnist32.py's.
"""

import ml_collections

from experiments.configs import stylegan2_fashion_mnist32 as cpu_config


def auto_hyperparameters(resolution: int, devices: int = 1) -> dict:
  """StyleGAN2-ADA's 'auto' spec for square images of side `resolution` on `devices` GPUs."""
  mb = max(min(devices * min(4096 // resolution, 32), 64), devices)
  half_life_kimg = mb * 10 / 32
  return dict(batch_size=mb, mbstd_group=min(mb // devices, 4),
              channel_base=32768 if resolution >= 512 else 16384, channel_max=512,
              learning_rate=0.002 if resolution >= 1024 else 0.0025,
              r1_gamma=0.0002 * resolution ** 2 / mb, ema_half_life_kimg=half_life_kimg,
              ema_decay=0.5 ** (mb / (half_life_kimg * 1000)), mapping_layers=2)


def get_config(dataset: str = "fashion_mnist32") -> ml_collections.ConfigDict:
  from ganjax.data.sources import dataset_spec
  from ganjax.families.stylegan2.family import image_size
  c = cpu_config.get_config()
  c.dataset.name = dataset
  hp = auto_hyperparameters(image_size(dataset_spec(dataset).shape))
  c.batch_size, c.ema_decay = hp["batch_size"], hp["ema_decay"]
  c.model.update(dict(latent_dim=512, w_dim=512, mapping_layers=hp["mapping_layers"],
                      channel_base=hp["channel_base"], channel_max=hp["channel_max"],
                      mbstd_group=hp["mbstd_group"]))
  c.regularizers.r1.weight = hp["r1_gamma"]
  c.optimizers = ml_collections.ConfigDict(dict(
      g=cpu_config.lazy_adam(hp["learning_rate"], cpu_config.BETAS, cpu_config.PL_EVERY),
      d=cpu_config.lazy_adam(hp["learning_rate"], cpu_config.BETAS, cpu_config.R1_EVERY)))
  return c
