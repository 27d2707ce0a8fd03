"""Every adversarial loss against a hand computation on fixed logits, and its direction."""

import numpy as np
import pytest

from ganjax.errors import ConfigError
from ganjax.objectives.losses import LOSSES, get_loss

R = np.array([0.3, -0.2, 0.8, 0.1])
F = np.array([-0.5, 0.4, -0.1, 0.35])


def _sp(x):
  return np.log1p(np.exp(x))


def _sig(x):
  return 1 / (1 + np.exp(-x))


HAND = {  # written from the papers' formulas in terms of D = sigmoid(logit) where they use it
    "non_saturating": (-np.mean(np.log(_sig(R))) - np.mean(np.log(1 - _sig(F))), -np.mean(np.log(_sig(F)))),
    "minimax": (-np.mean(np.log(_sig(R))) - np.mean(np.log(1 - _sig(F))), np.mean(np.log(1 - _sig(F)))),
    "least_squares": (0.5 * np.mean((R - 1) ** 2) + 0.5 * np.mean(F ** 2), 0.5 * np.mean((F - 1) ** 2)),
    "wasserstein": (np.mean(F) - np.mean(R), -np.mean(F)),
    "hinge": (np.mean(np.maximum(0, 1 - R)) + np.mean(np.maximum(0, 1 + F)), -np.mean(F)),
    "relativistic_standard": (-np.mean(np.log(_sig(R - F))), -np.mean(np.log(_sig(F - R)))),
    "relativistic_pairing": (-np.mean(np.log(_sig(R - F))), -np.mean(np.log(_sig(F - R)))),
    "relativistic_average": (
        -np.mean(np.log(_sig(R - F.mean()))) - np.mean(np.log(1 - _sig(F - R.mean()))),
        -np.mean(np.log(_sig(F - R.mean()))) - np.mean(np.log(1 - _sig(R - F.mean())))),
}


def test_every_registered_loss_has_a_hand_computation():
  assert set(LOSSES.names()) == set(HAND)


@pytest.mark.parametrize("name", sorted(HAND))
def test_loss_matches_hand_computation(name):
  d, g = LOSSES.get(name)(R, F)
  np.testing.assert_allclose([float(d), float(g)], HAND[name], rtol=1e-5)


@pytest.mark.parametrize("name", sorted(HAND))
def test_loss_direction(name):
  """D's loss falls as real logits rise and fake logits fall; G's loss falls as fake logits rise."""
  loss = LOSSES.get(name)
  d0, g0 = loss(R, F)
  d1, _ = loss(R + 0.1, F - 0.1)
  _, g1 = loss(R, F + 0.1)
  assert float(d1) < float(d0)
  assert float(g1) < float(g0)


def test_one_sided_label_smoothing():
  s = 0.1
  d, g = get_loss("non_saturating", label_smoothing=s)(R, F)
  hand = -np.mean((1 - s) * np.log(_sig(R)) + s * np.log(1 - _sig(R))) - np.mean(np.log(1 - _sig(F)))
  np.testing.assert_allclose(float(d), hand, rtol=1e-5)
  np.testing.assert_allclose(float(g), HAND["non_saturating"][1], rtol=1e-5)


def test_unknown_loss_lists_valid_names():
  with pytest.raises(ConfigError, match="Valid loss names: hinge, least_squares, minimax"):
    get_loss("hingee")


@pytest.mark.parametrize("name", sorted(HAND))
def test_generator_reads_real_matches_the_formula(name):
  # The G update skips D on the real batch exactly when the G term ignores the real logits.
  from ganjax.objectives.losses import generator_reads_real
  loss = get_loss(name)
  moves = float(loss(R + 1.0, F)[1]) != pytest.approx(float(loss(R, F)[1]))
  assert generator_reads_real(loss) == moves


def test_generator_reads_real_sees_through_nested_calls():
  import jax
  import jax.numpy as jnp
  from ganjax.objectives.losses import generator_reads_real
  inner = jax.jit(lambda r, f: jnp.mean(f - r))
  assert generator_reads_real(lambda r, f: (jnp.mean(r), inner(r, f)))
  assert not generator_reads_real(lambda r, f: (inner(r, f), jnp.mean(f) ** 2))
