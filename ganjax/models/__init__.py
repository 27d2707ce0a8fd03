"""Model registry: config name -> (generator, discriminator) flax modules.

A factory takes the `config.model` block and the data's per-example shape and returns a
`GANModels`. Register a new family with:

  @MODELS.register("my_gan")
  def _my_gan(cfg, data_shape, dtype):
    return GANModels(MyG(...), MyD(...), latent_dim=cfg.latent_dim)
"""

from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
from absl import logging

from ganjax.errors import ConfigError
from ganjax.kernels import onednn
from ganjax.models.adjoint_convs import KERNELS
from ganjax.models.dcgan import DCGANDiscriminator, DCGANGenerator
from ganjax.models.layers import minibatch_options
from ganjax.models.mlp import MLPDiscriminator, MLPGenerator
from ganjax.registry import Registry


@dataclasses.dataclass(frozen=True)
class GANModels:
  generator: nn.Module       # (z [B, latent_dim], *, train) -> samples [B, *data_shape]
  discriminator: nn.Module   # (samples [B, *data_shape], *, train) -> logits [B]
  latent_dim: int


MODELS: Registry = Registry("model")


def resolve_conv_kernels(kernels: str, dtype, axis_name: str | None) -> str:
  """model.conv_kernels -> "xla" or "onednn" (ganjax/models/adjoint_convs.py, `conv2d`).

  "auto" takes oneDNN's convolutions where they are measured faster and need nothing else: the
  CPU backend, float32, oneDNN built (ganjax/kernels/onednn.py), and one device or a per-device
  (shard_map) step, since XLA's sharding passes see an FFI call as one indivisible op."""
  if kernels not in ("auto", *KERNELS):
    raise ConfigError(f"model.conv_kernels must be 'auto', 'xla' or 'onednn', got {kernels!r}.")
  if kernels == "onednn":
    if jax.default_backend() != "cpu":
      raise ConfigError(f"model.conv_kernels = 'onednn' runs on the CPU only, this backend is "
                        f"{jax.default_backend()!r}; use 'auto' or 'xla'.")
    if jnp.dtype(dtype) != jnp.float32:
      raise ConfigError(f"model.conv_kernels = 'onednn' needs dtype float32, got {jnp.dtype(dtype)}; "
                        "use 'auto' or 'xla'.")
    reason = onednn.unavailable_reason()
    if reason is not None:
      raise ConfigError(f"model.conv_kernels = 'onednn': {reason}; or use 'auto' or 'xla'.")
  if kernels != "auto":
    return kernels
  usable = (jax.default_backend() == "cpu" and jnp.dtype(dtype) == jnp.float32
            and (jax.device_count() == 1 or axis_name is not None) and onednn.available())
  if jax.default_backend() == "cpu" and not usable:
    logging.info("model.conv_kernels = 'auto': XLA's convolutions (%s)", onednn.unavailable_reason()
                 or "bfloat16 or a multi-device mesh")
  return "onednn" if usable else "xla"


@MODELS.register("dcgan")
def _dcgan(cfg: Any, data_shape: Sequence[int], dtype, axis_name=None) -> GANModels:
  h, w, _ = data_shape
  if cfg.get("upsample", "subpixel") not in ("subpixel", "conv_transpose"):
    raise ConfigError(f"model.upsample must be 'subpixel' or 'conv_transpose', got {cfg.upsample!r}.")
  if cfg.get("conv_grad", "subpixel") not in ("subpixel", "xla"):
    raise ConfigError(f"model.conv_grad must be 'subpixel' or 'xla', got {cfg.conv_grad!r}.")
  kernels = resolve_conv_kernels(cfg.get("conv_kernels", "xla"), dtype, axis_name)
  if cfg.get("g_norm", "batch") not in ("batch", "virtual_batch"):
    raise ConfigError(f"model.g_norm must be 'batch' or 'virtual_batch', got {cfg.g_norm!r}.")
  if cfg.get("g_norm") == "virtual_batch" and not cfg.get("vbn_reference_size", 32) >= 1:
    raise ConfigError(f"model.vbn_reference_size must be >= 1, got {cfg.vbn_reference_size!r}.")
  if h % 4 or w % 4:
    raise ConfigError(f"model 'dcgan' needs image height and width divisible by 4, got {tuple(data_shape)}.")
  g = DCGANGenerator(tuple(data_shape), cfg.get("g_base_features", 128),
                     cfg.get("g_mid_features", 64), cfg.get("upsample", "subpixel"), axis_name, dtype=dtype,
                     norm=cfg.get("g_norm", "batch"), vbn_reference_size=cfg.get("vbn_reference_size", 32),
                     conv_kernels=kernels)
  d = DCGANDiscriminator(tuple(cfg.get("d_features", (64, 128))), cfg.get("dropout_rate", 0.4),
                         cfg.get("spectral_norm", False), dtype=dtype,
                         conv_grad=cfg.get("conv_grad", "subpixel"), conv_kernels=kernels,
                         **minibatch_options(cfg))
  return GANModels(g, d, cfg.latent_dim)


@MODELS.register("mlp")
def _mlp(cfg: Any, data_shape: Sequence[int], dtype, axis_name=None) -> GANModels:
  del axis_name  # no cross-example layers
  g = MLPGenerator(tuple(data_shape), tuple(cfg.get("g_hidden", (100, 150))),
                   cfg.get("activation", "selu"), cfg.get("output_activation", "tanh"), dtype=dtype)
  d = MLPDiscriminator(tuple(cfg.get("d_hidden", (150, 100))), cfg.get("activation", "selu"),
                       cfg.get("spectral_norm", False), dtype=dtype, **minibatch_options(cfg))
  return GANModels(g, d, cfg.latent_dim)


def build_models(model_cfg: Any, data_shape: Sequence[int], dtype: str = "float32",
                 axis_name: str | None = None) -> GANModels:
  """Looks up `model_cfg.name` and builds its modules for per-example `data_shape`.

  axis_name: the shard_map axis for cross-replica statistics (BatchNorm) in pmap mode, else None.
  """
  return MODELS.get(model_cfg.name)(model_cfg, tuple(data_shape), jnp.dtype(dtype), axis_name)
