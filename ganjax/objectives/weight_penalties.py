"""Penalties on a player's weights, as AdversarialObjective's `g_penalty`:
g_penalty(g_params {network: params}) -> (scalar added to G's loss, metrics).

Orthogonal regularization, BigGAN's modified form (Brock et al. 2019, section 3.1):

  R(W) = beta * || W^T W (.) (1 - I) ||_F^2

summed over the kernels. A kernel [..., out] (a Dense [in, out], a Conv [kh, kw, in, out]) is read
as W [fan_in, out] (fan_in = the product of the other axes), so W^T W [out, out] holds the inner
products between output filters and the penalty pushes distinct filters towards orthogonality
without constraining their norms. That is the paper's Gram matrix (BigGAN-PyTorch reshapes the
torch weight to [out, fan_in] and forms W W^T, the same [out, out] matrix). Which leaves count:
every parameter with ndim >= 2 (conv and dense kernels, also the conditional BatchNorms' gain and
bias projections, as in BigGAN-PyTorch) except embedding tables (flax's nn.Embed "embedding"
leaves: BigGAN leaves its shared class embedding out); vectors (biases, BatchNorm's scale and
bias, attention's gamma) never do. The kernels are the raw parameters, before spectral norm
divides them, as in BigGAN-PyTorch.

BigGAN-PyTorch adds 2 beta (W W^T (.) (1 - I)) W to the gradient by hand, which is half the
gradient of the penalty above (4 beta W (W^T W (.) (1 - I)) in this layout); here the penalty is
differentiated as written, so a given beta acts twice as strongly as there.
"""

from __future__ import annotations

from typing import Callable

import jax
import jax.numpy as jnp

EXCLUDED_LEAVES = ("embedding",)


def off_diagonal_gram(w: jax.Array) -> jax.Array:
  """||W^T W (.) (1 - I)||_F^2 of a kernel [..., out] read as [fan_in, out], float32."""
  w = w.reshape(-1, w.shape[-1]).astype(jnp.float32)
  gram = w.T @ w
  off = gram * (1.0 - jnp.eye(gram.shape[0], dtype=gram.dtype))
  return jnp.sum(off * off)


def _counted(path, leaf) -> bool:
  name = getattr(path[-1], "key", getattr(path[-1], "name", None))
  return leaf.ndim >= 2 and name not in EXCLUDED_LEAVES


def orthogonal_penalty(params, beta: float) -> jax.Array:
  """beta * sum of off_diagonal_gram over params' counted kernels (module docstring); a scalar."""
  leaves = [leaf for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]
            if _counted(path, leaf)]
  return beta * sum((off_diagonal_gram(w) for w in leaves), jnp.zeros((), jnp.float32))


def orthogonal_regularization(beta: float) -> Callable:
  """The g_penalty adding orthogonal_penalty(G's parameters, beta) to G's loss, reported as
  "g_ortho"."""

  def g_penalty(g_params):
    penalty = orthogonal_penalty(g_params, beta)
    return penalty, {"g_ortho": penalty}

  return g_penalty
