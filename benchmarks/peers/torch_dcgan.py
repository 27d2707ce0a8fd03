r"""The seed DCGAN and its training step in idiomatic PyTorch (CPU or CUDA): the peer ganjax is timed against.

Same model, initialisation and hyperparameters as ganjax's `experiments/configs/dcgan_fashion_mnist.py`
(see ganjax/families/dcgan/networks.py):

  G: z [B, 32] -> Linear(7*7*128) -> reshape -> BatchNorm -> ConvTranspose(64, k5, s2) SELU
     -> BatchNorm -> ConvTranspose(1, k5, s2) tanh -> images [B, 1, 28, 28] in [-1, 1]
  D: Conv(64, k5, s2) LeakyReLU(0.2) Dropout(0.4) -> Conv(128, k5, s2) LeakyReLU(0.2) Dropout(0.4)
     -> Linear(1) -> logits [B]
  Glorot-uniform weights, zero biases; BatchNorm with Keras' momentum 0.99 (torch momentum 0.01)
  and eps 1e-3; RMSprop lr 1e-3, rho 0.9 (torch alpha), eps 1e-7 for both sides; EMA of G's
  parameters with decay min(0.999, (1 + t) / (10 + t)).

One step, as ganjax's (and the seed's): D on real and fresh fakes in one call, non-saturating BCE
with logits; then G on new latents against the updated D; then the EMA.

Known differences, none of which changes the cost of a step: torch's RMSprop divides by
sqrt(v) + eps where optax divides by sqrt(v + eps); G's forward in the D update also advances
G's BatchNorm running statistics (ganjax keeps only the G update's); "SAME" padding of the strided
convolutions is symmetric here and low-aligned in XLA; G's update passes only the fakes through D,
as ganjax does for losses whose generator term ignores the real logits (this one).

  # timing (device-resident random batch; prints one JSON line)
  python benchmarks/peers/torch_dcgan.py --batch_size=32 --steps=20 --windows=3
  python benchmarks/peers/torch_dcgan.py --batch_size=256 --device=cuda --bf16  # on a GPU
  # train on Fashion-MNIST and dump EMA samples for FID (uint8 NHWC .npy)
  python benchmarks/peers/torch_dcgan.py --train_steps=2000 --samples_out=/tmp/peer.npy
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

LATENT = 32


def glorot_(module: nn.Module) -> None:
  """Keras' defaults: Glorot-uniform kernels, zero biases (BatchNorm keeps gamma=1, beta=0)."""
  if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
    nn.init.xavier_uniform_(module.weight)
    nn.init.zeros_(module.bias)


class Generator(nn.Module):
  def __init__(self, latent: int = LATENT, channels: int = 1):
    super().__init__()
    self.fc = nn.Linear(latent, 7 * 7 * 128)
    self.bn0 = nn.BatchNorm2d(128, eps=1e-3, momentum=0.01)
    self.up0 = nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1)
    self.bn1 = nn.BatchNorm2d(64, eps=1e-3, momentum=0.01)
    self.up1 = nn.ConvTranspose2d(64, channels, 5, stride=2, padding=2, output_padding=1)
    self.apply(glorot_)

  def forward(self, z: torch.Tensor) -> torch.Tensor:
    x = self.bn0(self.fc(z).view(-1, 128, 7, 7))
    x = self.bn1(F.selu(self.up0(x)))
    return torch.tanh(self.up1(x))


class Discriminator(nn.Module):
  def __init__(self, channels: int = 1, dropout: float = 0.4):
    super().__init__()
    self.features = nn.Sequential(
        nn.Conv2d(channels, 64, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(dropout),
        nn.Conv2d(64, 128, 5, stride=2, padding=2), nn.LeakyReLU(0.2), nn.Dropout(dropout))
    self.fc = nn.Linear(7 * 7 * 128, 1)
    self.apply(glorot_)

  def forward(self, x: torch.Tensor) -> torch.Tensor:
    return self.fc(self.features(x).flatten(1)).squeeze(1)


class DCGANTrainer:
  """Models, optimizers, EMA and the step; `step(real)` trains one D and one G update."""
  latent = LATENT  # G's input size (sample() draws it; a subclass with another G sets its own)

  def __init__(self, seed: int = 0, channels_last: bool = False, ema_decay: float = 0.999,
               device: str = "cpu", bf16: bool = False):
    torch.manual_seed(seed)
    self.device = torch.device(device)
    # bf16: autocast's mixed precision (convolutions and matmuls in bfloat16, parameters,
    # optimizer and losses in float32), as ganjax's config.dtype = "bfloat16".
    self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16)
    self.g, self.d = Generator().to(self.device), Discriminator().to(self.device)
    self.ema = Generator().to(self.device)
    self.ema.load_state_dict(self.g.state_dict())
    self.ema.requires_grad_(False)
    self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
      for m in (self.g, self.d, self.ema):
        m.to(memory_format=torch.channels_last)
    rms = dict(lr=1e-3, alpha=0.9, eps=1e-7)
    self.g_opt = torch.optim.RMSprop(self.g.parameters(), **rms)
    self.d_opt = torch.optim.RMSprop(self.d.parameters(), **rms)
    self.ema_decay, self.t = ema_decay, 0
    self.g.train(), self.d.train()

  def step(self, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """real: [B, 1, 28, 28] float32 in [-1, 1]. Returns (d_loss, g_loss), not synchronised."""
    b, dev = real.shape[0], self.device
    # D on real and fake in one call.
    with torch.no_grad(), self.autocast:
      fake = self.g(torch.randn(b, LATENT, device=dev))
    with self.autocast:
      logits = self.d(torch.cat([real, fake]).contiguous(memory_format=self.memory_format))
    targets = torch.cat([torch.ones(b, device=dev), torch.zeros(b, device=dev)])
    d_loss = 2 * F.binary_cross_entropy_with_logits(logits.float(), targets)  # mean(real) + mean(fake)
    self.d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    self.d_opt.step()
    # G against the updated D on fresh latents; D's parameters get no gradient.
    self.d.requires_grad_(False)
    with self.autocast:
      logits = self.d(self.g(torch.randn(b, LATENT, device=dev)))
    g_loss = F.binary_cross_entropy_with_logits(logits.float(), torch.ones(b, device=dev))
    self.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    self.g_opt.step()
    self.d.requires_grad_(True)
    self._update_ema()
    return d_loss.detach(), g_loss.detach()

  @torch.no_grad()
  def _update_ema(self) -> None:
    decay = min(self.ema_decay, (1 + self.t) / (10 + self.t))
    torch._foreach_lerp_(list(self.ema.parameters()), list(self.g.parameters()), 1 - decay)
    self.t += 1

  @torch.no_grad()
  def sample(self, n: int, seed: int = 1) -> np.ndarray:
    """n EMA samples with G's BatchNorm running statistics -> uint8 [n, H, W, C] (NHWC)."""
    for e, b in zip(self.ema.buffers(), self.g.buffers()):
      e.copy_(b)
    self.ema.eval()
    z = torch.randn(n, self.latent, generator=torch.Generator().manual_seed(seed))
    with self.autocast:
      x = torch.cat([self.ema(chunk.to(self.device)).float() for chunk in z.split(500)])
    x = ((x.permute(0, 2, 3, 1).cpu().numpy() + 1.0) * 127.5).round().clip(0, 255)
    return x.astype(np.uint8)


def peak_rss_mib() -> float:
  """Peak resident set size of this process in MiB (Linux reports ru_maxrss in KiB)."""
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _synchronize(device: torch.device) -> None:
  """Waits for the device's queued work (CUDA runs asynchronously; the CPU needs nothing)."""
  if device.type == "cuda":
    torch.cuda.synchronize(device)


def time_steps(batch_size: int, steps: int, windows: int, compile_: bool,
               channels_last: bool, device: str = "cpu", bf16: bool = False) -> dict:
  """Warm-up (and compile) apart, `windows` timed windows of `steps` steps on one random batch
  resident on `device`; each window ends when the device has finished its steps."""
  trainer = DCGANTrainer(channels_last=channels_last, device=device, bf16=bf16)
  real = torch.rand(batch_size, 1, 28, 28, device=trainer.device) * 2 - 1
  return time_trainer(trainer, real, steps, windows, compile_, bf16)


def time_trainer(trainer, real: torch.Tensor, steps: int, windows: int, compile_: bool,
                 bf16: bool) -> dict:
  """`time_steps` for any peer's trainer (`step(real)`, `device`) on the batch `real`: the JSON
  record compare_peer.py reads."""
  batch_size = real.shape[0]
  step = torch.compile(trainer.step) if compile_ else trainer.step
  t0 = time.perf_counter()
  for _ in range(3):
    step(real)
  _synchronize(trainer.device)
  warmup_s = time.perf_counter() - t0
  rates = []
  for _ in range(windows):
    t0 = time.perf_counter()
    for _ in range(steps):
      step(real)
    _synchronize(trainer.device)
    rates.append(steps / (time.perf_counter() - t0))
  out = {"framework": "torch" + ("+compile" if compile_ else "") + ("+bf16" if bf16 else ""),
         "batch": batch_size, "warmup_s": warmup_s, "rates": rates,
         "steps_per_s": float(np.median(rates)), "peak_rss_mib": peak_rss_mib(),
         "threads": torch.get_num_threads(), "device": str(trainer.device)}
  if trainer.device.type == "cuda":
    out["device_kind"] = torch.cuda.get_device_name(trainer.device)
    out["peak_device_mib"] = torch.cuda.max_memory_allocated(trainer.device) / 2 ** 20
  return out


def shuffled_batches(images: torch.Tensor, batch_size: int, seed: int):
  """Endless batches of `images` [N, ...], reshuffled every epoch (a short last batch is dropped)."""
  gen = torch.Generator().manual_seed(seed)
  while True:
    order = torch.randperm(len(images), generator=gen)
    for i in range(0, len(order) - batch_size + 1, batch_size):
      yield images[order[i:i + batch_size]]


def fashion_mnist_batches(directory: str, batch_size: int, seed: int):
  """Endless reshuffled batches of Fashion-MNIST train images, [B, 1, 28, 28] float32 in [-1, 1]."""
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
  from ganjax.data.idx import find_idx_file, read_idx
  path = find_idx_file(directory, "train-images-idx3-ubyte")
  if path is None:
    raise FileNotFoundError(f"no train-images-idx3-ubyte[.gz] in {directory}; pass --data_dir.")
  images = torch.from_numpy(read_idx(path).astype(np.float32) / 127.5 - 1.0).unsqueeze(1)
  return shuffled_batches(images, batch_size, seed)


def ganjax_train_images(name: str) -> torch.Tensor:
  """A ganjax dataset's train split (prepared by `make data`), [N, C, H, W] float32 in [-1, 1]."""
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
  import ml_collections
  from ganjax.metrics.data import load_split
  cfg = ml_collections.ConfigDict(dict(name=name, source_dir=None, data_dir=None))
  images = torch.from_numpy(load_split(cfg, "train")[0].astype(np.float32) / 127.5 - 1.0)
  return images.permute(0, 3, 1, 2)


def train_loop(trainer, batches, args, describe=lambda: "") -> None:
  """args.train_steps steps of trainer.step on `batches`, a log line every args.log_every (plus
  `describe()`), then args.num_samples EMA samples to args.samples_out when set."""
  t0 = time.perf_counter()
  for i in range(1, args.train_steps + 1):
    d_loss, g_loss = trainer.step(next(batches).to(trainer.device))
    if i % args.log_every == 0 or i == args.train_steps:
      print(f"step {i}: d_loss={d_loss.item():.3f} g_loss={g_loss.item():.3f}{describe()} "
            f"({i / (time.perf_counter() - t0):.2f} steps/s)", flush=True)
  if args.samples_out:
    samples = trainer.sample(args.num_samples, seed=args.seed + 1)
    np.save(args.samples_out, samples)
    print(f"wrote {samples.shape} {samples.dtype} samples to {args.samples_out}")


def peer_parser(description: str, train_help: str) -> argparse.ArgumentParser:
  """The flags every peer takes (compare_peer.py passes the timing ones); a peer adds its own."""
  p = argparse.ArgumentParser(description=description,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
  p.add_argument("--batch_size", type=int, default=32)
  p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads")
  p.add_argument("--channels_last", action="store_true")
  p.add_argument("--device", default="cpu", help='torch device: "cpu" or "cuda"')
  p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (mixed precision)")
  p.add_argument("--seed", type=int, default=0)
  p.add_argument("--steps", type=int, default=20, help="timing: steps per window")
  p.add_argument("--windows", type=int, default=3, help="timing: timed windows (median reported)")
  p.add_argument("--compile", action="store_true", help="timing: torch.compile the step")
  p.add_argument("--train_steps", type=int, default=0, help=train_help)
  p.add_argument("--log_every", type=int, default=200)
  p.add_argument("--samples_out", default="", help="training: write EMA samples here (.npy)")
  p.add_argument("--num_samples", type=int, default=10000)
  return p


def parse_peer_args(p: argparse.ArgumentParser) -> argparse.Namespace:
  """Parses, sets torch's thread count and refuses a CUDA device torch cannot see."""
  args = p.parse_args()
  torch.set_num_threads(args.threads)
  if args.device.startswith("cuda") and not torch.cuda.is_available():
    sys.exit(f"--device={args.device}: torch sees no CUDA device (torch {torch.__version__}); use "
             "a CUDA build of torch on a GPU machine, or --device=cpu.")
  return args


def train(args) -> None:
  trainer = DCGANTrainer(seed=args.seed, channels_last=args.channels_last, device=args.device,
                         bf16=args.bf16)
  train_loop(trainer, fashion_mnist_batches(args.data_dir, args.batch_size, args.seed), args)


def main() -> None:
  p = peer_parser(__doc__, "> 0: train on Fashion-MNIST instead")
  p.add_argument("--data_dir", default="/usr/share/datasets/fashion-mnist")
  args = parse_peer_args(p)
  if args.train_steps > 0:
    train(args)
  else:
    print(json.dumps(time_steps(args.batch_size, args.steps, args.windows, args.compile,
                                args.channels_last, args.device, args.bf16)))


if __name__ == "__main__":
  main()
