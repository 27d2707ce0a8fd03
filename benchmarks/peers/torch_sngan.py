r"""SNGAN's CIFAR ResNet and its training step in idiomatic PyTorch (CPU or CUDA): the peer ganjax's
`experiments/configs/sngan_emoji32.py` is timed against (benchmarks/compare_peer.py --model=sngan).

Same model, initialisation and hyperparameters as ganjax's family (ganjax/families/sngan,
ganjax/nn/resnet_blocks.py), written as the reference code (pfnet-research/sngan_projection):

  G: z [B, 128] -> Linear(4*4*64, no bias) -> [B, 64, 4, 4] -> 3 x GBlock(64) -> BatchNorm -> ReLU
     -> Conv3x3(C) -> tanh -> images [B, C, 32, 32] in [-1, 1]
     GBlock: BN -> ReLU -> nearest 2x -> Conv3x3 -> BN -> ReLU -> Conv3x3, + Conv1x1(nearest 2x(x));
     no conv biases in G's blocks (every path from one passes a BatchNorm, as in ganjax)
  D: OptimizedBlock(64) (down) -> DBlock(64, down) -> 2 x DBlock(64) -> ReLU -> sum over H, W
     -> Linear(1) -> logits [B]; spectral norm on every conv and the linear layer
     (torch.nn.utils.parametrizations.spectral_norm, one power iteration per forward)
     DBlock: ReLU -> Conv3x3 -> ReLU -> Conv3x3 -> avgpool 2 (down), + Conv1x1 then avgpool when
     channels change or it downsamples; OptimizedBlock: Conv3x3 -> ReLU -> Conv3x3 -> avgpool,
     + Conv1x1(avgpool(x))
  Glorot-uniform weights (gain sqrt(2) on the blocks' 3x3 convs, 1 elsewhere), zero biases;
  BatchNorm eps 1e-5, momentum 0.1 (flax's 0.9).

One step, as ganjax's: 5 critic updates, each on the real batch and fresh fakes (G in train mode,
no gradient) in one D call with the hinge loss E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]; then G
on fresh latents against the updated D, loss -E[D(G(z))]; Adam lr 2e-4, betas (0, 0.9), eps 1e-8
for both; then the EMA of G's parameters with decay min(0.999, (1 + t) / (10 + t)).

Known differences, none of which changes the cost of a step: torch's spectral norm runs its power
iteration on every D forward in train mode, the G update's too (ganjax keeps the D loss's update
only); G's forwards in the critic updates also advance G's BatchNorm running statistics (ganjax
keeps only the G update's).

  # timing (device-resident random batch; prints one JSON line)
  python benchmarks/peers/torch_sngan.py --batch_size=32 --steps=5 --windows=3
  # train on a ganjax dataset and dump EMA samples for FID (uint8 NHWC .npy)
  python benchmarks/peers/torch_sngan.py --train_steps=2000 --samples_out=/tmp/peer.npy
"""

from __future__ import annotations

import json
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from torch_dcgan import (DCGANTrainer, ganjax_train_images, parse_peer_args, peer_parser,
                         shuffled_batches, time_trainer, train_loop)

LATENT, G_FEATURES, D_FEATURES, D_STEPS = 128, 64, 64, 5  # sngan_emoji32's model.* and d_steps


def conv(cin: int, cout: int, k: int, gain: float = 1.0, bias: bool = True) -> nn.Conv2d:
  """A 'same' stride-1 conv with Glorot-uniform weights of `gain` and zero bias."""
  layer = nn.Conv2d(cin, cout, k, padding=k // 2, bias=bias)
  nn.init.xavier_uniform_(layer.weight, gain)
  if bias:
    nn.init.zeros_(layer.bias)
  return layer


def bn(features: int) -> nn.BatchNorm2d:
  return nn.BatchNorm2d(features, eps=1e-5, momentum=0.1)


class GBlock(nn.Module):
  def __init__(self, cin: int, cout: int):
    super().__init__()
    self.b1, self.c1 = bn(cin), conv(cin, cout, 3, math.sqrt(2), bias=False)
    self.b2, self.c2 = bn(cout), conv(cout, cout, 3, math.sqrt(2), bias=False)
    self.sc = conv(cin, cout, 1, bias=False)

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    up = lambda t: F.interpolate(t, scale_factor=2, mode="nearest")
    h = self.c1(up(F.relu(self.b1(x))))
    h = self.c2(F.relu(self.b2(h)))
    return h + self.sc(up(x))


class DBlock(nn.Module):
  def __init__(self, cin: int, cout: int, downsample: bool, optimized: bool = False):
    super().__init__()
    self.c1 = spectral_norm(conv(cin, cout, 3, math.sqrt(2)))
    self.c2 = spectral_norm(conv(cout, cout, 3, math.sqrt(2)))
    self.learnable_sc = cin != cout or downsample
    self.sc = spectral_norm(conv(cin, cout, 1)) if self.learnable_sc else None
    self.downsample, self.optimized = downsample, optimized

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    pool = (lambda t: F.avg_pool2d(t, 2)) if self.downsample else (lambda t: t)
    h = self.c1(x if self.optimized else F.relu(x))
    h = pool(self.c2(F.relu(h)))
    if not self.learnable_sc:
      return h + x
    return h + (self.sc(pool(x)) if self.optimized else pool(self.sc(x)))


class Generator(nn.Module):
  def __init__(self, size: int = 32, channels: int = 3, features: int = G_FEATURES):
    super().__init__()
    self.bottom, self.features = size // 8, features
    self.fc = nn.Linear(LATENT, self.bottom ** 2 * features, bias=False)
    nn.init.xavier_uniform_(self.fc.weight)
    self.blocks = nn.Sequential(*[GBlock(features, features) for _ in range(3)])
    self.out_bn, self.out_conv = bn(features), conv(features, channels, 3)

  def forward(self, z: torch.Tensor) -> torch.Tensor:
    x = self.fc(z).view(-1, self.features, self.bottom, self.bottom)
    x = self.blocks(x)
    return torch.tanh(self.out_conv(F.relu(self.out_bn(x))))


class Discriminator(nn.Module):
  def __init__(self, channels: int = 3, features: int = D_FEATURES):
    super().__init__()
    self.blocks = nn.Sequential(DBlock(channels, features, True, optimized=True),
                                DBlock(features, features, True),
                                DBlock(features, features, False), DBlock(features, features, False))
    fc = nn.Linear(features, 1)
    nn.init.xavier_uniform_(fc.weight)
    nn.init.zeros_(fc.bias)
    self.fc = spectral_norm(fc)

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    return self.fc(F.relu(self.blocks(x)).sum(dim=(2, 3))).squeeze(1)


class SNGANTrainer(DCGANTrainer):
  """Models, optimizers, EMA and the step; `step(real)` runs 5 D updates and one G update. The
  EMA update and EMA sampling are the DCGAN peer's (the same rule, any image shape)."""
  latent = LATENT

  def __init__(self, seed: int = 0, size: int = 32, channels: int = 3, ema_decay: float = 0.999,
               device: str = "cpu", bf16: bool = False, channels_last: bool = False):
    torch.manual_seed(seed)
    self.device = torch.device(device)
    self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16)
    self.g = Generator(size, channels).to(self.device)
    self.d = Discriminator(channels).to(self.device)
    self.ema = Generator(size, channels).to(self.device)
    self.ema.load_state_dict(self.g.state_dict())
    self.ema.requires_grad_(False)
    self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
      for m in (self.g, self.d, self.ema):
        m.to(memory_format=torch.channels_last)
    adam = dict(lr=2e-4, betas=(0.0, 0.9), eps=1e-8)
    self.g_opt = torch.optim.Adam(self.g.parameters(), **adam)
    self.d_opt = torch.optim.Adam(self.d.parameters(), **adam)
    self.ema_decay, self.t = ema_decay, 0
    self.g.train(), self.d.train()

  def step(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """real: [B, C, H, W] float32 in [-1, 1]. Returns (last d_loss, g_loss), not synchronised."""
    b, dev = real.shape[0], self.device
    for _ in range(D_STEPS):
      with torch.no_grad(), self.autocast:
        fake = self.g(torch.randn(b, LATENT, device=dev))
      with self.autocast:
        logits = self.d(torch.cat([real, fake]).contiguous(memory_format=self.memory_format)).float()
      d_loss = F.relu(1.0 - logits[:b]).mean() + F.relu(1.0 + logits[b:]).mean()
      self.d_opt.zero_grad(set_to_none=True)
      d_loss.backward()
      self.d_opt.step()
    self.d.requires_grad_(False)
    with self.autocast:
      g_loss = -self.d(self.g(torch.randn(b, LATENT, device=dev))).float().mean()
    self.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    self.g_opt.step()
    self.d.requires_grad_(True)
    self._update_ema()
    return d_loss.detach(), g_loss.detach()


def time_steps(batch_size: int, steps: int, windows: int, compile_: bool, channels_last: bool,
               device: str = "cpu", bf16: bool = False) -> dict:
  """Warm-up apart (3 steps), `windows` timed windows of `steps` steps on one random emoji32-shaped
  batch resident on `device`; each window ends when the device has finished its steps."""
  trainer = SNGANTrainer(device=device, bf16=bf16, channels_last=channels_last)
  real = torch.rand(batch_size, 3, 32, 32, device=trainer.device) * 2 - 1
  return time_trainer(trainer, real, steps, windows, compile_, bf16)


def dataset_images(name: str) -> torch.Tensor:
  """A ganjax dataset's train images [N, C, H, W] in [-1, 1], checked to suit SNGAN."""
  images = ganjax_train_images(name)
  if images.shape[2] != images.shape[3] or images.shape[2] % 8:
    raise SystemExit(f"dataset {name!r} has images {tuple(images.shape[1:])}; SNGAN needs square "
                     f"ones with a side divisible by 8 (emoji32, fashion_mnist32).")
  return images


def train(args) -> None:
  images = dataset_images(args.dataset)
  trainer = SNGANTrainer(seed=args.seed, size=images.shape[2], channels=images.shape[1],
                         device=args.device, bf16=args.bf16, channels_last=args.channels_last)
  train_loop(trainer, shuffled_batches(images, args.batch_size, args.seed), args)


def main() -> None:
  p = peer_parser(__doc__, "> 0: train on --dataset instead")
  p.add_argument("--dataset", default="emoji32", help="a ganjax dataset: emoji32, fashion_mnist32")
  args = parse_peer_args(p)
  if args.train_steps > 0:
    train(args)
  else:
    print(json.dumps(time_steps(args.batch_size, args.steps, args.windows, args.compile,
                                args.channels_last, args.device, args.bf16)))


if __name__ == "__main__":
  main()
