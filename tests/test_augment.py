"""DiffAugment ops and ADA's adaptive probability against hand computations."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ganjax.objectives import augment as A
from ganjax.errors import ConfigError
from ganjax.train.experiment import build_experiment

KEY = jax.random.PRNGKey(7)
# jit once per op tuple: op-by-op dispatch compiles every primitive separately and is slow on CPU.
_augment = jax.jit(A.augment_images, static_argnums=2)


def _images(b=8, h=16, w=16, c=3, seed=0):
  return jax.random.uniform(jax.random.PRNGKey(seed), (b, h, w, c), minval=-1, maxval=1)


def _uniforms(key, b, ops):
  """The uniform draw augment_images makes for `ops` (its documented column layout)."""
  return np.asarray(jax.random.uniform(key, (b, sum(1 + op.draws for op in ops))))


def test_shapes_and_ranges():
  x = _images()
  ops = A.policy_ops("color,translation,cutout")
  y = _augment(x, KEY, ops, 1.0)
  assert y.shape == x.shape and y.dtype == x.dtype and bool(jnp.all(jnp.isfinite(y)))
  # Geometric ops only move pixels or write 0: values stay in [-1, 1].
  y = _augment(x, KEY, A.policy_ops("translation, cutout"), 1.0)
  assert float(jnp.min(y)) >= -1.0 and float(jnp.max(y)) <= 1.0
  # Brightness adds one per-sample constant in [-0.5, 0.5).
  (bright,) = [op for op in ops if op.fn is A.brightness]
  d = np.asarray(_augment(x, KEY, (bright,), 1.0) - x).reshape(8, -1)
  np.testing.assert_allclose(d, d[:, :1] * np.ones_like(d), atol=1e-6)
  assert np.all(d >= -0.5) and np.all(d < 0.5) and np.ptp(d[:, 0]) > 0.1


def test_probability_zero_is_identity_and_one_changes_every_sample():
  x = _images()
  ops = A.policy_ops("color,translation,cutout")
  np.testing.assert_array_equal(_augment(x, KEY, ops, 0.0), x)
  changed = jnp.any((_augment(x, KEY, ops, 1.0) != x).reshape(8, -1), axis=1)
  assert bool(jnp.all(changed))


def test_translation_moves_content_by_the_drawn_offset_with_zero_padding():
  b, h = 64, 16
  x = _images(b, h, h, 2)
  ops = A.policy_ops("translation")
  y = np.asarray(_augment(x, KEY, ops, 1.0))
  u = _uniforms(KEY, b, ops)
  offsets = np.asarray(A.translation_offsets(jnp.asarray(u[:, 1:3]), h, h))
  assert A.max_shift(h) == 2 and set(offsets.ravel()) == {-2, -1, 0, 1, 2}
  xn = np.asarray(x)
  for i, (dy, dx) in enumerate(offsets):
    expected = np.zeros_like(xn[i])
    rows, cols = np.arange(h) + dy, np.arange(h) + dx  # out[r, c] = x[r + dy, c + dx]
    rv, cv = (rows >= 0) & (rows < h), (cols >= 0) & (cols < h)
    expected[np.ix_(rv, cv)] = xn[i][np.ix_(rows[rv], cols[cv])]
    np.testing.assert_array_equal(y[i], expected)


def test_cutout_zeroes_a_clipped_half_size_square_and_the_expected_fraction():
  b, h = 4096, 16
  ops = A.policy_ops("cutout")
  y = np.asarray(_augment(jnp.ones((b, h, h, 1)), KEY, ops, 1.0))[..., 0]
  u = _uniforms(KEY, b, ops)
  for i in range(8):  # each zeroed region is the square [o - 4, o + 4) clipped to the image
    oy, ox = (np.floor(u[i, 1:3] * (h + 1)).astype(int))  # size 8 is even: centres 0..16
    expected = np.ones((h, h))
    expected[max(oy - 4, 0):oy + 4, max(ox - 4, 0):ox + 4] = 0
    np.testing.assert_array_equal(y[i], expected)
  # E[zeroed fraction] = E[clipped rows]^2 / H^2 with centres uniform on 0..16.
  rows = np.mean([min(o + 4, h) - max(o - 4, 0) for o in range(h + 1)])
  np.testing.assert_allclose(np.mean(y == 0), rows ** 2 / h ** 2, atol=0.01)


def test_gradients_flow_through_the_augmentation():
  # Given the draws every op is affine in the images, so the gradient is exact: for any
  # direction v, <grad, v> equals the change of the objective along v.
  x, v, w = _images(seed=0), _images(seed=1), _images(seed=2)
  ops = A.policy_ops("color,translation,cutout")
  f = lambda x: jnp.sum(w * _augment(x, KEY, ops, 0.7))
  g = jax.jit(jax.grad(f))(x)
  assert float(jnp.sum(jnp.abs(g))) > 1.0
  np.testing.assert_allclose(float(jnp.vdot(g, v)), float(f(x + v) - f(x)), rtol=1e-4)


def test_ada_probability_moves_by_the_documented_step():
  batch, interval, kimg = 16, 4, 0.1
  step = interval * batch / (kimg * 1000)  # 0.64
  ada = A.ada_technique(batch, target=0.6, interval=interval, kimg=kimg)
  entry = ada.init(None)
  feed = jax.jit(lambda e, sign: ada.update(e, None, {"d_real_sign": sign}))
  ps = []
  for sign in [1.0] * 8 + [0.0] * 8 + [0.6] * 4:  # overfit, then not, then exactly on target
    entry = feed(entry, jnp.float32(sign))
    ps.append(float(entry["p"]))
  np.testing.assert_allclose(ps[:8], [0, 0, 0, step, step, step, step, 1.0], atol=1e-6)
  np.testing.assert_allclose(ps[8:16], [1, 1, 1, 1 - step, 1 - step, 1 - step, 1 - step, 0],
                             atol=1e-6)
  np.testing.assert_allclose(ps[16:], [0, 0, 0, 0], atol=1e-6)
  # The accumulator averages over the interval: signs 1, 1, 0, 0 give r_t = 0.5 < 0.6.
  entry = ada.init(None)
  entry = {**entry, "p": jnp.float32(0.9)}
  for sign in (1.0, 1.0, 0.0, 0.0):
    entry = feed(entry, jnp.float32(sign))
  np.testing.assert_allclose(float(entry["p"]), 0.9 - step, atol=1e-6)


def test_build_augment_reads_p_from_the_ada_state():
  import ml_collections
  cfg = ml_collections.ConfigDict(dict(batch_size=8, augment=dict(policy="translation", ada=True)))
  augment, (ada,) = A.build_augment(cfg)
  x = _images()

  class _State:  # only extras is read
    extras = {"ada": ada.init(None)}

  np.testing.assert_array_equal(augment(x, KEY, _State), x)  # ADA starts at p = 0
  _State.extras = {"ada": {**_State.extras["ada"], "p": jnp.float32(1.0)}}
  np.testing.assert_array_equal(augment(x, KEY, _State),
                                _augment(x, KEY, A.policy_ops("translation"), 1.0))
  assert A.build_augment(ml_collections.ConfigDict(dict(batch_size=8))) == (None, ())


def test_unknown_policy_and_bad_options_fail_listing_the_valid_ones(digits_config):
  digits_config.augment = {"policy": "color,flip"}
  with pytest.raises(ConfigError, match=r"Unknown augmentation policy 'flip'\. Valid augmentation "
                                        r"policy names: color, cutout, translation"):
    build_experiment(digits_config)
  digits_config.augment = {"policy": "color", "prob": 0.5}
  with pytest.raises(ConfigError, match=r"unknown option\(s\) \['prob'\]"):
    build_experiment(digits_config)
  digits_config.augment = {"policy": "color", "p": 1.5}
  with pytest.raises(ConfigError, match=r"augment.p must be a probability"):
    build_experiment(digits_config)
  digits_config.augment = {"policy": ["color"]}
  with pytest.raises(ConfigError, match=r"augment.policy must be a string"):
    build_experiment(digits_config)


def test_generator_loss_reads_augmented_fakes_and_its_gradient_flows_through_the_augmentation(
    digits_config):
  """DiffAugment's generator side (Zhao et al. 2020, Eq. 3): G's loss is D's verdict on T(G(z)),
  with T differentiable, so G's gradient is that of D(T(G(z))). Compared with the loss composed by
  hand from the objective's pieces (its key split: latent, dropout, augmentation; the fakes' half
  of the augmentation key), with the un-augmented loss (a G phase that skips T) and with T applied
  straight-through (x + stop_gradient(T(x) - x): the augmented value, the identity's gradient),
  which a non-differentiable augmentation would give."""
  import dataclasses
  digits_config.augment = {"policy": "color,translation,cutout"}
  exp = build_experiment(digits_config)
  obj, state = exp.objective, exp.init_state()
  plain = dataclasses.replace(obj, augment=None)
  batch = {"image": _images(8, 16, 16, 1, seed=3)}
  key = jax.random.PRNGKey(4)
  kz, kdrop, kaug, _ = jax.random.split(key, 4)
  _, kfake = jax.random.split(kaug)

  def composed(params, straight_through=False):
    fake, _ = obj.fake(params, state, obj.draw(kz, 8))
    seen = obj.augment(fake, kfake, state)
    if straight_through:
      seen = fake + jax.lax.stop_gradient(seen - fake)
    logits = obj.fake_output(None, state, seen, kdrop).logits
    return obj.loss(jnp.zeros_like(logits), logits)[1]

  @jax.jit
  def all_of(params):
    loss = lambda o: (lambda p: o.g_loss(p, state, batch, key)[0])
    return (jax.value_and_grad(loss(obj))(params), jax.value_and_grad(loss(plain))(params),
            jax.value_and_grad(composed)(params),
            jax.grad(lambda p: composed(p, straight_through=True))(params))

  (aug, g_aug), (unaug, g_plain), (by_hand, g_hand), g_straight = all_of(state.players["g"].params)
  leaves = lambda t: np.concatenate([np.ravel(a) for a in jax.tree.leaves(t)])
  g_aug, g_plain, g_hand, g_straight = map(leaves, (g_aug, g_plain, g_hand, g_straight))
  rel = lambda a, b: float(np.linalg.norm(a - b) / np.linalg.norm(b))
  print(f"G loss augmented {float(aug):.4f}, un-augmented {float(unaug):.4f}; gradient vs composed "
        f"{rel(g_aug, g_hand):.1e}, vs un-augmented {rel(g_aug, g_plain):.3f}, vs straight-through "
        f"{rel(g_aug, g_straight):.3f}")
  np.testing.assert_allclose(float(aug), float(by_hand), rtol=1e-5)
  assert abs(float(aug) - float(unaug)) > 1e-3, (aug, unaug)  # D saw other images
  assert np.linalg.norm(g_aug) > 0 and rel(g_aug, g_hand) < 1e-4, rel(g_aug, g_hand)
  # The gradient through T is neither the un-augmented one nor the straight-through one.
  assert rel(g_aug, g_plain) > 0.05 and rel(g_aug, g_straight) > 0.05, (
      rel(g_aug, g_plain), rel(g_aug, g_straight))
