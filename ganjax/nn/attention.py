"""Self-attention (SAGAN's non-local block, Zhang et al. 2019; as BigGAN uses it, Brock et al. 2019).

x [B, H, W, C] -> x + gamma * o(attend(theta(x), phi(x), g(x))):

  theta, phi: 1x1 convs to C/8 channels (the query and key); g: 1x1 conv to C/2 (the value);
  phi and g 2x2 max-pooled (BigGAN's choice: 4x fewer keys, the same receptive field);
  attention weights beta = softmax over the key positions of <theta_i, phi_j>;
  o: 1x1 conv from C/2 back to C; gamma: a learned scalar starting at 0, so the block starts as the
  identity and the network first learns local structure (SAGAN, section 4).

No biases (BigGAN's reference code). Every conv can be spectrally normalised. The channel
reductions are floored at 1 so tiny test widths still build.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from ganjax.nn.layers import PLAIN, Layers
from ganjax.nn.spectral_norm import maybe_spectral_norm


def attend(queries: jax.Array, keys: jax.Array, values: jax.Array) -> tuple[jax.Array, jax.Array]:
  """queries [B, N, d], keys [B, M, d], values [B, M, e] -> (out [B, N, e], weights [B, N, M]):
  weights[b, i] = softmax_j <queries[b, i], keys[b, j]> (unscaled, as SAGAN), out = weights @ values.
  The logits and softmax are float32 whatever the inputs' dtype."""
  logits = jnp.einsum("bnd,bmd->bnm", queries.astype(jnp.float32), keys.astype(jnp.float32))
  weights = jax.nn.softmax(logits, axis=-1)
  return jnp.einsum("bnm,bme->bne", weights, values.astype(jnp.float32)), weights


class SelfAttention(nn.Module):
  spectral_norm: bool = False
  pool: bool = True  # 2x2 max-pool phi and g (H and W even)
  kernel_init: nn.initializers.Initializer = nn.initializers.orthogonal()
  dtype: jnp.dtype = jnp.float32
  layers: Layers = PLAIN

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool) -> jax.Array:
    """x: [B, H, W, C] -> [B, H, W, C] (x itself while gamma is 0)."""
    b, h, w, c = x.shape
    conv = lambda features, name: maybe_spectral_norm(
        self.layers.conv(features, (1, 1), padding="SAME", kernel_init=self.kernel_init,
                         use_bias=False, dtype=self.dtype, name=name),
        enabled=self.spectral_norm, train=train)
    key_dim, value_dim = max(1, c // 8), max(1, c // 2)
    x = x.astype(self.dtype)
    theta = conv(key_dim, "theta")(x)
    phi, g = conv(key_dim, "phi")(x), conv(value_dim, "g")(x)
    if self.pool:
      phi, g = nn.max_pool(phi, (2, 2), (2, 2)), nn.max_pool(g, (2, 2), (2, 2))
    flat = lambda t: t.reshape(b, -1, t.shape[-1])
    out, _ = attend(flat(theta), flat(phi), flat(g))
    out = conv(c, "out")(out.reshape(b, h, w, value_dim).astype(self.dtype))
    gamma = self.param("gamma", nn.initializers.zeros, (), jnp.float32)
    return (x + gamma.astype(self.dtype) * out).astype(self.dtype)
