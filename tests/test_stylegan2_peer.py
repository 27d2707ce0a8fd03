"""The PyTorch StyleGAN2 peer (benchmarks/peers/torch_stylegan2.py) computes ganjax's model: G, D
and the augmentation from the same (ported) weights and uniforms give the same numbers."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.families.stylegan2.networks import StyleGAN2Generator, noise_dim
from test_stylegan2 import KEY, _normal


def _port(ganjax_params: dict, g, d) -> None:
  """Copies ganjax G and D parameters into the peer's modules (benchmarks/peers/torch_stylegan2.py):
  kernels [kh, kw, I, O] -> [O, I, kh, kw]; the transposed convolutions' kernels flipped (torch's
  conv_transpose2d correlates with the flipped kernel, lax.conv_transpose with the kernel itself);
  D's first dense layer reordered from NHWC to NCHW flattening."""
  import torch
  t = lambda a: torch.from_numpy(np.array(a, np.float32))  # a writable copy
  dense = lambda m, p: (m.weight.data.copy_(t(p["dense"]["kernel"]).T), m.bias.data.copy_(t(p["bias"])))
  conv = lambda k: t(k).permute(3, 2, 0, 1)
  gp, dp = ganjax_params["g"], ganjax_params["d"]
  for i, m in enumerate(g.mapping):
    dense(m, gp[f"mapping_{i}"])
  g.const.data.copy_(t(gp["const"]).permute(2, 0, 1))
  names = [n for r in g.res for n in ((f"b{r}_conv1",) if r == 4 else (f"b{r}_conv0", f"b{r}_conv1"))]
  for m, name in zip(g.convs, names):
    p = gp[name]
    dense(m.affine, p["affine"])
    kernel = np.asarray(p["modconv"]["conv"]["kernel"])
    m.weight.data.copy_(conv(kernel[::-1, ::-1] if m.up else kernel))
    m.noise_strength.data.fill_(float(p["noise"]["strength"]))
    m.bias.data.copy_(t(p["bias"]))
  for m, r in zip(g.rgbs, g.res):
    p = gp[f"b{r}_torgb"]
    dense(m.affine, p["affine"])
    m.weight.data.copy_(conv(p["modconv"]["conv"]["kernel"]))
    m.bias.data.copy_(t(p["bias"]))
  econv = lambda m, p: (m.weight.data.copy_(conv(p["conv"]["kernel"])),
                        m.bias is None or m.bias.data.copy_(t(p["bias"])))
  econv(d.fromrgb, dp["fromrgb"])
  for block, r in zip(d.blocks, (32, 16, 8)):
    for part in ("skip", "conv0", "conv1"):
      econv(block[part], dp[f"b{r}_{part}"])
  econv(d.conv, dp["b4_conv"])
  c = d.fc.weight.shape[0]
  d.fc.weight.data.copy_(t(dp["b4_fc"]["dense"]["kernel"]).reshape(4, 4, c, c).permute(3, 2, 0, 1)
                         .reshape(c, 16 * c))
  d.fc.bias.data.copy_(t(dp["b4_fc"]["bias"]))
  dense(d.out, dp["b4_out"])


def test_the_pytorch_peer_computes_the_same_model_and_augmentation():
  torch = pytest.importorskip("torch")
  import sys
  sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks", "peers"))
  import torch_stylegan2 as peer
  from experiments.configs import stylegan2_emoji32
  from ganjax.objectives.augment import augment_images, policy_ops
  from ganjax.families.stylegan2.networks import StyleGAN2Discriminator
  cfg = stylegan2_emoji32.get_config()
  m = cfg.model
  assert (peer.Z_DIM, peer.W_DIM, peer.CHANNEL_BASE, peer.CHANNEL_MAX) == (
      m.latent_dim, m.w_dim, m.channel_base, m.channel_max)
  g = StyleGAN2Generator((32, 32, 3), z_dim=m.latent_dim, w_dim=m.w_dim,
                         channel_base=m.channel_base, channel_max=m.channel_max)
  d = StyleGAN2Discriminator(32, channel_base=m.channel_base, channel_max=m.channel_max)
  z, x = _normal(21, (4, m.latent_dim)), _normal(22, (4, 32, 32, 3), 0.5)
  gv = jax.jit(lambda k: g.init(k, z, z, jnp.full((4,), 8, jnp.int32),
                                jnp.zeros((4, noise_dim(32))), train=False))(KEY)
  dv = jax.jit(lambda k: d.init(k, x, train=False))(KEY)
  # Noise strengths and biases away from their initial zeros, so that every parameter matters.
  perturb = lambda p, s: jax.tree.map(lambda a: a + 0.1 * _normal(s, a.shape), p)
  gv = {**gv, "params": perturb(gv["params"], 23)}
  dv = {**dv, "params": perturb(dv["params"], 24)}
  noise = jnp.zeros((4, noise_dim(32)))  # the peer draws its own noise: compare without it
  tg, td = peer.Generator(), peer.Discriminator()
  _port({"g": gv["params"], "d": dv["params"]}, tg, td)
  for mod in tg.convs:
    mod.noise_strength.data.fill_(0.0)
  tg.eval()
  params_g = {**gv["params"], **{k: {**v, "noise": {"strength": jnp.float32(0)}}
                                 for k, v in gv["params"].items() if "conv" in k and "torgb" not in k}}
  want = jax.jit(lambda p, z: g.apply({**gv, "params": p}, z, z, jnp.full((4,), 8, jnp.int32),
                                      noise, train=False))(params_g, z)
  with torch.no_grad():
    got = tg.synthesize(tg.map(torch.from_numpy(np.array(z)))).permute(0, 2, 3, 1).numpy()
    logits = td(torch.from_numpy(np.array(x)).permute(0, 3, 1, 2)).numpy()
  np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3)
  np.testing.assert_allclose(logits, d.apply(dv, x, train=False).logits, rtol=1e-3, atol=1e-3)

  # Augmentation: the same uniforms give the same images (p = 0.5: some ops applied, some not).
  key = jax.random.PRNGKey(5)
  u = jax.random.uniform(key, (4, 12))
  want = augment_images(x, key, policy_ops(cfg.augment.policy), 0.5)
  got = peer.augment(torch.from_numpy(np.array(x)).permute(0, 3, 1, 2), 0.5,
                     torch.from_numpy(np.array(u))).permute(0, 2, 3, 1).numpy()
  np.testing.assert_allclose(got, want, atol=1e-5)
