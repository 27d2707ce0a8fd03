"""Spectral normalization: power iteration converges to the top singular value from
jnp.linalg.svd, the normalised kernels have spectral norm 1 (Dense and Conv, the Conv kernel as
its [kh * kw * in, out] matrix), and the discriminators take it as an option."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.nn.spectral_norm import SPECTRAL_STATS, maybe_spectral_norm
from test_layers import build_networks


class _Wrapped(nn.Module):
  """One layer behind the spectral-norm option."""
  layer: nn.Module

  @nn.compact
  def __call__(self, x, *, train: bool):
    return maybe_spectral_norm(self.layer, enabled=True, train=train)(x)


def _power_iterate(module, variables, x, steps):
  """`steps` train-mode calls, each one power iteration, carrying the "spectral_stats" update."""
  def body(_, stats):
    _, new = module.apply({**variables, SPECTRAL_STATS: stats}, x, train=True, mutable=[SPECTRAL_STATS])
    return new[SPECTRAL_STATS]
  return jax.jit(lambda s: jax.lax.fori_loop(0, steps, body, s))(variables[SPECTRAL_STATS])


def _sigma(stats):
  (entries,) = stats.values()
  (sigma,) = [v for k, v in entries.items() if k.endswith("/sigma")]
  return float(sigma)


def _top_singular_value(kernel):
  return float(jnp.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0])


def test_dense_kernel_sigma_matches_svd_and_normalised_kernel_has_norm_one():
  module = _Wrapped(nn.Dense(6, use_bias=False))
  x = jnp.eye(10)  # identity input: the output is the normalised kernel itself
  variables = module.init(jax.random.PRNGKey(0), x, train=False)
  kernel = variables["params"]["layer"]["kernel"]
  stats = _power_iterate(module, variables, x, 300)
  sigma = _sigma(stats)
  np.testing.assert_allclose(sigma, _top_singular_value(kernel), rtol=1e-3)
  # Eval mode reads u without writing it and applies W / sigma.
  normalised = module.apply({**variables, SPECTRAL_STATS: stats}, x, train=False)
  np.testing.assert_allclose(normalised, kernel / sigma, rtol=1e-3, atol=1e-6)
  assert _top_singular_value(normalised) == pytest.approx(1.0, abs=1e-3)


def test_conv_kernel_is_normalised_as_its_kh_kw_in_by_out_matrix():
  conv = nn.Conv(8, (3, 3), padding="SAME", use_bias=False)
  module = _Wrapped(conv)
  x = jax.random.normal(jax.random.PRNGKey(1), (2, 6, 6, 4))
  variables = module.init(jax.random.PRNGKey(2), x, train=False)
  kernel = variables["params"]["layer"]["kernel"]  # [3, 3, 4, 8] -> the [36, 8] matrix
  stats = _power_iterate(module, variables, x, 300)
  sigma = _sigma(stats)
  np.testing.assert_allclose(sigma, _top_singular_value(kernel), rtol=1e-3)
  # Miyato et al.'s [out, in * kh * kw] reshape is the transpose: the same singular values.
  torch_layout = jnp.transpose(kernel, (3, 2, 0, 1)).reshape(8, -1)
  np.testing.assert_allclose(sigma, float(jnp.linalg.svd(torch_layout, compute_uv=False)[0]), rtol=1e-3)
  # The convolution really runs with W / sigma, and that kernel has spectral norm 1.
  out = module.apply({**variables, SPECTRAL_STATS: stats}, x, train=False)
  expected = conv.apply({"params": {"kernel": kernel / sigma}}, x)
  np.testing.assert_allclose(out, expected, rtol=1e-3, atol=1e-5)
  assert _top_singular_value(kernel / sigma) == pytest.approx(1.0, abs=1e-3)


def test_train_mode_updates_u_and_eval_mode_leaves_it():
  module = _Wrapped(nn.Dense(5))
  x = jnp.ones((3, 7))
  variables = module.init(jax.random.PRNGKey(3), x, train=False)
  _, new = module.apply(variables, x, train=True, mutable=[SPECTRAL_STATS])
  _, same = module.apply(variables, x, train=False, mutable=[SPECTRAL_STATS])
  u = lambda s: next(v for k, v in jax.tree_util.tree_leaves_with_path(s) if k[-1].key.endswith("/u"))
  assert not np.allclose(u(new[SPECTRAL_STATS]), u(variables[SPECTRAL_STATS]))
  np.testing.assert_array_equal(u(same[SPECTRAL_STATS]), u(variables[SPECTRAL_STATS]))


@pytest.mark.parametrize("name, shape", [("dcgan", (16, 16, 1)), ("mlp", (2,))])
def test_discriminators_take_spectral_norm_as_an_option(name, shape):
  import ml_collections
  cfg = ml_collections.ConfigDict(dict(name=name, latent_dim=4, spectral_norm=True))
  plain = ml_collections.ConfigDict(dict(name=name, latent_dim=4, spectral_norm=False))
  x = jnp.zeros((2, *shape))
  init = lambda c: jax.eval_shape(  # shapes only: nothing is computed
      lambda: build_networks(c, shape)["d"].init(jax.random.PRNGKey(0), x, train=False))
  with_sn, without = init(cfg), init(plain)
  # Same parameters (checkpoints and optimizers unchanged), plus one u and sigma per kernel.
  assert jax.tree.structure(with_sn["params"]) == jax.tree.structure(without["params"])
  kernels = [p for p in jax.tree_util.tree_leaves_with_path(with_sn["params"]) if p[0][-1].key == "kernel"]
  us = [k for k, _ in jax.tree_util.tree_leaves_with_path(with_sn[SPECTRAL_STATS])
        if k[-1].key.endswith("/u")]
  assert len(us) == len(kernels) >= 3 and SPECTRAL_STATS not in without
