r"""StyleGAN2 at 32x32 and its training step in idiomatic PyTorch (CPU or CUDA): the peer ganjax's
`experiments/configs/stylegan2_emoji32.py` is timed against (benchmarks/compare_peer.py).

Same model and step as ganjax's family (ganjax/families/stylegan2, ganjax/nn/stylegan_layers.py),
written the way the official StyleGAN2-ADA code writes them (training/networks.py, loss.py):

  G: z [B, 128] -> normalize -> 2 x FC(128, lrelu, lr multiplier 0.01) -> w (w_avg EMA 0.995)
     -> ws [B, 8, 128] (style mixing: per sample, probability 0.9, crossover uniform in [1, 8))
     -> constant 4x4 -> per resolution 4..32: modulated 3x3 convs (the first upsampling: transposed
     stride-2 conv then the [1,3,3,1] filter), per-pixel noise with a learned strength, bias,
     lrelu * sqrt(2); toRGB (modulated 1x1, no demodulation) at each resolution, upsampled and
     summed (skip) -> images [B, 3, 32, 32]
  D: fromRGB 1x1 -> residual blocks 32, 16, 8 (conv 3x3, conv 3x3 down, skip 1x1 down, each
     branch x 1/sqrt(2)) -> minibatch stddev (group 4) -> conv 3x3 -> FC -> FC(1) -> logits [B]
  Channels min(1024 // res, 128), equalized learning rate everywhere (weights N(0, 1) scaled at
  run time), noise strengths 0 and affine biases 1 at start.

One step (ganjax's phase order): D on real and on fresh fakes as two batches (minibatch stddev),
non-saturating loss, plus on steps % 16 == 0 R1 (gamma 0.01) * gamma/2 * 16 in the same update;
then G against the updated D; then on steps % 4 == 0 path length regularization (batch / 2,
weight 2 * 4, pl_decay 0.01) as its own G update; then the EMA of G (min(0.999, (1+t)/(10+t))).
Adam with the config's lazy-regularization rescaling: lr 0.0025 * r, betas (0, 0.99 ** r), eps 1e-8,
r = 4/5 for G, 16/17 for D. Augmentation as the emoji32 config (on by default): DiffAugment's
color, translation and cutout applied to everything D sees, each op to each sample with the
ADA probability p (start 0, target 0.6 every 4 steps, 100 kimg), computed for every sample and
selected as ganjax does; --no_augment drops it (ganjax: --set=augment.policy=).

  python benchmarks/peers/torch_stylegan2.py --batch_size=32 --steps=20 --windows=3
  python benchmarks/peers/torch_stylegan2.py --train_steps=2000 --samples_out=/tmp/peer.npy
"""

from __future__ import annotations

import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torch_dcgan import (  # this folder: the script's sys.path[0]
    ganjax_train_images, parse_peer_args, peer_parser, shuffled_batches, time_trainer, train_loop)

SIZE, CHANNELS, Z_DIM, W_DIM = 32, 3, 128, 128
CHANNEL_BASE, CHANNEL_MAX = 1024, 128
NUM_WS = 2 * int(math.log2(SIZE)) - 2
LR, R1_GAMMA, R1_EVERY, PL_EVERY = 0.0025, 0.01, 16, 4
FIR = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8


def ch(res: int) -> int:
  return min(CHANNEL_BASE // res, CHANNEL_MAX)


def lrelu(x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
  return F.leaky_relu(x, 0.2) * (math.sqrt(2) * gain)


def fir(x: torch.Tensor, pad: int, up: int = 1, down: int = 1) -> torch.Tensor:
  """upfirdn2d with the [1, 3, 3, 1] filter on NCHW: zero insertion (gain up^2), symmetric pad,
  the filter, stride `down`. up=2 uses pads (2, 1) as the reference's upsample2d. Channels go to
  the batch axis for one single-channel convolution: a depthwise (grouped) one is differentiated
  twice (R1, path length) group by group on the CPU, 100x slower (measured)."""
  b, c, h, w = x.shape
  k = (torch.outer(FIR, FIR) * up * up).to(x)[None, None]
  x = x.reshape(b * c, 1, h, w)
  if up > 1:
    u = x.new_zeros(b * c, 1, h, up, w, up)
    u[:, :, :, 0, :, 0] = x
    x = F.pad(u.reshape(b * c, 1, h * up, w * up), (2, 1, 2, 1))
  else:
    x = F.pad(x, (pad, pad, pad, pad))
  y = F.conv2d(x, k, stride=down)
  return y.reshape(b, c, *y.shape[2:])


class FC(nn.Module):
  def __init__(self, cin, cout, lr_mult=1.0, bias_init=0.0, act=False):
    super().__init__()
    self.weight = nn.Parameter(torch.randn(cout, cin) / lr_mult)
    self.bias = nn.Parameter(torch.full([cout], float(bias_init)))
    self.gain, self.lr_mult, self.act = lr_mult / math.sqrt(cin), lr_mult, act

  def forward(self, x):
    x = F.linear(x, self.weight * self.gain, self.bias * self.lr_mult)
    return lrelu(x) if self.act else x


class Conv(nn.Module):
  """Equalized conv; down: the filter (pad 2) then a stride-2 3x3 conv, or downsample then 1x1."""
  def __init__(self, cin, cout, k, down=False, bias=True, act=True, gain=1.0):
    super().__init__()
    self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
    self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
    self.wgain, self.k, self.down, self.act, self.gain = 1 / math.sqrt(cin * k * k), k, down, act, gain

  def forward(self, x):
    w = self.weight * self.wgain
    if self.down and self.k == 1:
      x = F.conv2d(fir(x, 1, down=2), w, self.bias)
    elif self.down:
      x = F.conv2d(fir(x, self.k // 2 + 1), w, self.bias, stride=2)
    else:
      x = F.conv2d(x, w, self.bias, padding=self.k // 2)
    return lrelu(x, self.gain) if self.act else x * self.gain


class SynthesisLayer(nn.Module):
  def __init__(self, cin, cout, res, up=False):
    super().__init__()
    self.affine = FC(W_DIM, cin, bias_init=1.0)
    self.weight = nn.Parameter(torch.randn(cout, cin, 3, 3))
    self.noise_strength = nn.Parameter(torch.zeros([]))
    self.bias = nn.Parameter(torch.zeros(cout))
    self.res, self.up = res, up

  def forward(self, x, w):
    s = self.affine(w)                                                     # [B, I]
    d = (s.square() @ self.weight.square().sum([2, 3]).t() + 1e-8).rsqrt()  # [B, O]
    x = x * s[:, :, None, None]
    if self.up:  # full transposed conv (2N + 1), then the filter with padding 1
      x = fir(F.conv_transpose2d(x, self.weight.transpose(0, 1), stride=2), 1)
    else:
      x = F.conv2d(x, self.weight, padding=1)
    noise = torch.randn(x.shape[0], 1, self.res, self.res, device=x.device)
    x = x * d[:, :, None, None] + noise * self.noise_strength
    return lrelu(x + self.bias[None, :, None, None])


class ToRGB(nn.Module):
  def __init__(self, cin):
    super().__init__()
    self.affine = FC(W_DIM, cin, bias_init=1.0)
    self.weight = nn.Parameter(torch.randn(CHANNELS, cin, 1, 1))
    self.bias = nn.Parameter(torch.zeros(CHANNELS))

  def forward(self, x, w):
    s = self.affine(w) / math.sqrt(x.shape[1])
    return F.conv2d(x * s[:, :, None, None], self.weight, self.bias)


class Generator(nn.Module):
  def __init__(self):
    super().__init__()
    self.mapping = nn.ModuleList([FC(Z_DIM, W_DIM, 0.01, act=True), FC(W_DIM, W_DIM, 0.01, act=True)])
    self.register_buffer("w_avg", torch.zeros(W_DIM))
    self.const = nn.Parameter(torch.randn(ch(4), 4, 4))
    self.res = [2 ** i for i in range(2, int(math.log2(SIZE)) + 1)]
    convs = [SynthesisLayer(ch(4), ch(4), 4)]
    for r in self.res[1:]:
      convs += [SynthesisLayer(ch(r // 2), ch(r), r, up=True), SynthesisLayer(ch(r), ch(r), r)]
    self.convs = nn.ModuleList(convs)
    self.rgbs = nn.ModuleList([ToRGB(ch(r)) for r in self.res])

  def map(self, z, update_avg=True, psi=1.0):
    x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
    for layer in self.mapping:
      x = layer(x)
    if self.training and update_avg:
      self.w_avg.copy_(x.detach().mean(0).lerp(self.w_avg, 0.995))
    ws = x[:, None].repeat(1, NUM_WS, 1)
    return self.w_avg.lerp(ws, psi) if psi != 1 else ws

  def mixed_ws(self, z, z2, cutoff, update_avg=True):
    ws = self.map(z, update_avg)
    mix = (torch.arange(NUM_WS, device=z.device)[None, :] >= cutoff[:, None])[..., None]
    return torch.where(mix, self.map(z2, update_avg=False), ws)

  def synthesize(self, ws):
    x = self.const[None].repeat(ws.shape[0], 1, 1, 1)
    img, c = None, 0
    for i, rgb in enumerate(self.rgbs):
      for j in ((0,) if i == 0 else (2 * i - 1, 2 * i)):
        x = self.convs[c](x, ws[:, j])
        c += 1
      y = rgb(x, ws[:, 2 * i + 1])
      img = y if img is None else fir(img, 0, up=2) + y
    return img


class Discriminator(nn.Module):
  def __init__(self):
    super().__init__()
    self.fromrgb = Conv(CHANNELS, ch(SIZE), 1)
    blocks = []
    for r in [2 ** i for i in range(int(math.log2(SIZE)), 2, -1)]:
      blocks.append(nn.ModuleDict(dict(
          skip=Conv(ch(r), ch(r // 2), 1, down=True, bias=False, act=False, gain=math.sqrt(0.5)),
          conv0=Conv(ch(r), ch(r), 3),
          conv1=Conv(ch(r), ch(r // 2), 3, down=True, gain=math.sqrt(0.5)))))
    self.blocks = nn.ModuleList(blocks)
    self.conv = Conv(ch(4) + 1, ch(4), 3)
    self.fc, self.out = FC(ch(4) * 16, ch(4), act=True), FC(ch(4), 1)

  def forward(self, img):
    x = self.fromrgb(img)
    for b in self.blocks:
      x = b["skip"](x) + b["conv1"](b["conv0"](x))
    n, c, h, w = x.shape  # minibatch stddev, group 4, strided groups as the reference
    g = min(4, n)
    y = x.reshape(g, -1, c, h, w)
    y = (y - y.mean(0)).square().mean(0).add(1e-8).sqrt().mean([1, 2, 3])  # [n / g]
    x = torch.cat([x, y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)], 1)
    return self.out(self.fc(self.conv(x).flatten(1))).squeeze(1)


def augment(x: torch.Tensor, p: float, u: torch.Tensor | None = None) -> torch.Tensor:
  """DiffAugment's color, translation (1/8), cutout (1/2) on [-1, 1] NCHW images; each op on each
  sample with probability p, computed for all samples and selected (ganjax/objectives/augment.py, whose
  column layout of the uniforms u [B, 12] this follows: per op "apply?", then its draws)."""
  b, _, h, w = x.shape
  u = torch.rand(b, 12, device=x.device) if u is None else u
  sel = lambda col, new, old: torch.where((u[:, col] < p)[:, None, None, None], new, old)
  v = lambda col: u[:, col][:, None, None, None]
  x = sel(0, x + (v(1) - 0.5), x)
  m = x.mean(1, keepdim=True)
  x = sel(2, (x - m) * (v(3) * 2) + m, x)
  m = x.mean([1, 2, 3], keepdim=True)
  x = sel(4, (x - m) * (v(5) + 0.5) + m, x)
  s = int(h * 0.125 + 0.5)
  dy = (u[:, 7] * (2 * s + 1)).long().clamp(max=2 * s) - s
  dx = (u[:, 8] * (2 * s + 1)).long().clamp(max=2 * s) - s
  iy = (torch.arange(h, device=x.device)[None] + dy[:, None] + s)  # [B, H] into the padded image
  ix = (torch.arange(w, device=x.device)[None] + dx[:, None] + s)
  padded = F.pad(x, (s, s, s, s))
  shifted = padded[torch.arange(b)[:, None, None], :, iy[:, :, None], ix[:, None, :]].permute(0, 3, 1, 2)
  x = sel(6, shifted, x)
  c = int(h * 0.5 + 0.5)
  oy = (u[:, 10] * (h + 1 - c % 2)).long()[:, None, None] - c // 2
  ox = (u[:, 11] * (w + 1 - c % 2)).long()[:, None, None] - c // 2
  rows = torch.arange(h, device=x.device)[None, :, None] - oy
  cols = torch.arange(w, device=x.device)[None, None, :] - ox
  inside = (rows >= 0) & (rows < c) & (cols >= 0) & (cols < c)
  return sel(9, x * (~inside)[:, None].to(x.dtype), x)


def lazy_adam(params, every: int):
  r = every / (every + 1)
  return torch.optim.Adam(params, lr=LR * r, betas=(0.0, 0.99 ** r), eps=1e-8)


class StyleGAN2Trainer:
  """Models, optimizers, EMA, ADA's p and the step; `step(real)` runs D, G and (lazily) R1, PL."""

  def __init__(self, seed: int = 0, device: str = "cpu", bf16: bool = False, augment: bool = True,
               batch_size: int = 32):
    torch.manual_seed(seed)
    self.device = torch.device(device)
    self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=bf16)
    self.g, self.d = Generator().to(self.device), Discriminator().to(self.device)
    self.ema = Generator().to(self.device)
    self.ema.load_state_dict(self.g.state_dict())
    self.ema.requires_grad_(False)
    self.g_opt, self.d_opt = lazy_adam(self.g.parameters(), PL_EVERY), lazy_adam(self.d.parameters(), R1_EVERY)
    self.t, self.pl_mean = 0, torch.zeros([], device=self.device)
    self.augment, self.p, self.signs = augment, 0.0, []
    self.ada_step = 4 * batch_size / (100 * 1000)
    self.g.train(), self.d.train()

  def codes(self, b: int):
    dev = self.device
    cutoff = torch.randint(1, NUM_WS, (b,), device=dev)
    cutoff = torch.where(torch.rand(b, device=dev) < 0.9, cutoff, torch.full_like(cutoff, NUM_WS))
    return torch.randn(b, Z_DIM, device=dev), torch.randn(b, Z_DIM, device=dev), cutoff

  def run_d(self, img):
    return self.d(augment(img, self.p) if self.augment else img)

  def step(self, real: torch.Tensor):
    """real: [B, 3, 32, 32] float32 in [-1, 1]. Returns (d_loss, g_loss), not synchronised."""
    b = real.shape[0]
    # D: fakes without G's graph; real and fake as separate batches (minibatch stddev).
    self.g.requires_grad_(False)
    with torch.no_grad(), self.autocast:
      # ganjax keeps G's w_avg update of its G phase, not of the D phase's fakes.
      fake = self.g.synthesize(self.g.mixed_ws(*self.codes(b), update_avg=False))
    r1 = self.t % R1_EVERY == 0
    real_in = real.detach().requires_grad_(r1)
    with self.autocast:
      real_aug = augment(real_in, self.p) if self.augment else real_in
      real_logits, fake_logits = self.d(real_aug).float(), self.run_d(fake).float()
    d_loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if r1:  # R1 at the images D saw, as ganjax: gamma / 2 * E||grad||^2 * every
      (grad,) = torch.autograd.grad(real_logits.sum(), real_aug, create_graph=True)
      d_loss = d_loss + grad.square().sum([1, 2, 3]).mean() * (R1_GAMMA / 2 * R1_EVERY)
    self.d_opt.zero_grad(set_to_none=True)
    d_loss.backward()
    self.d_opt.step()
    self.signs.append(real_logits.detach().sign().mean())
    # G against the updated D.
    self.g.requires_grad_(True)
    self.d.requires_grad_(False)
    with self.autocast:
      g_loss = F.softplus(-self.run_d(self.g.synthesize(self.g.mixed_ws(*self.codes(b)))).float()).mean()
    self.g_opt.zero_grad(set_to_none=True)
    g_loss.backward()
    self.g_opt.step()
    if self.t % PL_EVERY == 0:
      self._path_length(b // 2)
    self.d.requires_grad_(True)
    self._update_ema()
    self._update_ada()
    self.t += 1
    return d_loss.detach(), g_loss.detach()

  def _path_length(self, n: int) -> None:
    with self.autocast:
      ws = self.g.mixed_ws(*self.codes(n))
      img = self.g.synthesize(ws).float()
    y = torch.randn_like(img) / math.sqrt(SIZE * SIZE)
    (grad,) = torch.autograd.grad((img * y).sum(), ws, create_graph=True)
    lengths = grad.float().square().sum(2).mean(1).sqrt()
    self.pl_mean = self.pl_mean.lerp(lengths.mean().detach(), 0.01)
    loss = (lengths - self.pl_mean).square().mean() * (2.0 * PL_EVERY)
    self.g_opt.zero_grad(set_to_none=True)
    loss.backward()
    self.g_opt.step()

  @torch.no_grad()
  def _update_ema(self) -> None:
    decay = min(0.999, (1 + self.t) / (10 + self.t))
    torch._foreach_lerp_(list(self.ema.parameters()), list(self.g.parameters()), 1 - decay)
    self.ema.w_avg.copy_(self.g.w_avg)

  def _update_ada(self) -> None:
    if self.augment and len(self.signs) == 4:
      r_t = float(torch.stack(self.signs).mean())
      self.p = float(np.clip(self.p + np.sign(r_t - 0.6) * self.ada_step, 0.0, 1.0))
      self.signs = []

  @torch.no_grad()
  def sample(self, n: int, seed: int = 1) -> np.ndarray:
    """n EMA samples (no mixing) -> uint8 [n, 32, 32, 3] (NHWC)."""
    self.ema.eval()
    z = torch.randn(n, Z_DIM, generator=torch.Generator().manual_seed(seed))
    with self.autocast:
      x = torch.cat([self.ema.synthesize(self.ema.map(c.to(self.device))).float() for c in z.split(500)])
    x = ((x.permute(0, 2, 3, 1).cpu().numpy() + 1.0) * 127.5).round().clip(0, 255)
    return x.astype(np.uint8)


def time_steps(batch_size: int, steps: int, windows: int, compile_: bool, device: str = "cpu",
               bf16: bool = False, augment_: bool = True) -> dict:
  """Warm-up apart (3 steps, the first with R1 and path length), `windows` timed windows of
  `steps` steps on one random batch resident on `device` (torch_dcgan.time_trainer)."""
  trainer = StyleGAN2Trainer(device=device, bf16=bf16, augment=augment_, batch_size=batch_size)
  real = torch.rand(batch_size, CHANNELS, SIZE, SIZE, device=trainer.device) * 2 - 1
  return time_trainer(trainer, real, steps, windows, compile_, bf16)


def dataset_batches(name: str, batch_size: int, seed: int):
  """Endless reshuffled batches of a ganjax dataset's train split, [B, C, H, W] in [-1, 1]."""
  images = ganjax_train_images(name)
  if images.shape[1:] != (CHANNELS, SIZE, SIZE):
    raise SystemExit(f"dataset {name!r} has images {tuple(images.shape[1:])}; this peer trains on "
                     f"[{CHANNELS}, {SIZE}, {SIZE}] (emoji32).")
  return shuffled_batches(images, batch_size, seed)


def train(args) -> None:
  trainer = StyleGAN2Trainer(seed=args.seed, device=args.device, bf16=args.bf16,
                             augment=not args.no_augment, batch_size=args.batch_size)
  train_loop(trainer, dataset_batches(args.dataset, args.batch_size, args.seed), args,
             describe=lambda: f" ada_p={trainer.p:.3f}")


def main() -> None:
  p = peer_parser(__doc__, "> 0: train on --dataset instead")
  p.add_argument("--no_augment", action="store_true", help="drop ADA / DiffAugment")
  p.add_argument("--dataset", default="emoji32")
  args = parse_peer_args(p)  # --channels_last is accepted for compare_peer and unused here
  if args.train_steps > 0:
    train(args)
  else:
    print(json.dumps(time_steps(args.batch_size, args.steps, args.windows, args.compile,
                                args.device, args.bf16, not args.no_augment)))


if __name__ == "__main__":
  main()
