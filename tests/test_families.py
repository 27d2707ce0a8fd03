"""The family core carries more than two players and a latent generator: the one-player VAE, BiGAN
(one player of two networks against a joint critic) and a two-generator, two-critic cycle family
train, resume bit for bit and run on 8 fake devices; the VAE's ELBO equals a hand computation, and
after training beats the mean image's likelihood with latents that carry information (KL per
dimension); old checkpoints say so."""


import jax
import jax.numpy as jnp
import numpy as np
import pytest

import cycle_family
from conftest import eight_device_gaps, straight_and_resumed
from ganjax.checkpoint import Checkpointer
from ganjax.data.pipeline import to_model_batch
from ganjax.data.sources import data_source
from ganjax.errors import CheckpointError
from ganjax.families.vae.objective import gaussian_kl
from ganjax.train.experiment import build_experiment
from ganjax.train.loop import train_and_evaluate


def _vae_config():
  from experiments.configs import vae_fashion_mnist
  c = vae_fashion_mnist.get_config()
  c.dataset.name = "digits"
  c.batch_size, c.log_every, c.sample_every = 8, 2, 0
  return c


def _bigan_config(**model):
  from test_bigan import bigan_config
  return bigan_config(**model)  # tiny networks, batch 8, log every 2, no sample grids


def _cycle_config():
  c = cycle_family.get_config()
  c.batch_size, c.log_every, c.sample_every = 8, 2, 0
  return c


@pytest.mark.parametrize("make_config", [_vae_config, _bigan_config, _cycle_config],
                         ids=["vae", "bigan", "cycle"])
def test_family_resumes_bit_for_bit(make_config, tmp_path):
  cfg = make_config()
  straight, resumed = straight_and_resumed(cfg, tmp_path)
  jax.tree.map(np.testing.assert_array_equal, resumed, straight)
  # Every network of every player moved, and the EMA copies exist for the chosen networks.
  start = jax.device_get(build_experiment(cfg).init_state())
  for player in straight.players:
    for net, params in straight.players[player].params.items():
      moved = [not np.array_equal(a, b) for a, b in zip(jax.tree.leaves(params),
                                                          jax.tree.leaves(start.players[player].params[net]))]
      assert all(moved), (player, net)
  assert set(straight.ema) == set(build_experiment(cfg).family.ema)


_EIGHT_SETUP = """
import cycle_family
from test_families import _vae_config, _bigan_config, _cycle_config
# BiGAN's D without dropout: pmap mode draws dropout masks per device, not bit-equal to jit's.
MAKERS = (("vae", _vae_config), ("bigan", lambda: _bigan_config(dropout_rate=0.0)),
          ("cycle", _cycle_config))
"""


@pytest.mark.slow
def test_vae_bigan_and_cycle_family_on_eight_devices_match_one():
  out = eight_device_gaps(_EIGHT_SETUP, steps=3)
  # Float rounding only: the batch's sums are split 8 ways (and pmean-ed in pmap mode), and Adam's
  # normalised update turns last-bit gradient differences into parameter differences of ~1e-5.
  for family in ("vae", "bigan", "cycle"):
    assert out[family]["pmap8"] < 1e-4, out


def test_vae_elbo_equals_hand_computation():
  cfg = _vae_config()
  exp = build_experiment(cfg)
  state = exp.init_state()
  obj, nets = exp.objective, exp.family.networks
  x = jax.random.uniform(jax.random.PRNGKey(3), (8, 16, 16, 1), minval=-1, maxval=1)
  key = jax.random.PRNGKey(11)
  loss, (metrics, _) = obj.loss(state.players["vae"].params, state, {"image": x}, key)

  (mean, log_var), _ = nets["encoder"].apply(state.variables("encoder"), x, train=True, mutable=[])
  eps = np.asarray(jax.random.normal(key, (8, obj.latent_dim)), np.float64)
  mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
  z = mean + np.exp(0.5 * log_var) * eps
  a, _ = nets["decoder"].apply(state.variables("decoder"), jnp.asarray(z, jnp.float32), train=True,
                               mutable=["batch_stats"])
  a, x01 = np.asarray(a, np.float64), (np.asarray(x, np.float64) + 1) / 2
  p = 1 / (1 + np.exp(-2 * a))
  log_px = np.sum(x01 * np.log(p) + (1 - x01) * np.log(1 - p), axis=(1, 2, 3))
  kl = 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1 - log_var, axis=1)
  np.testing.assert_allclose(float(metrics["elbo"]), np.mean(log_px - kl), rtol=1e-4)
  np.testing.assert_allclose(float(metrics["kl"]), np.mean(kl), rtol=1e-4)
  np.testing.assert_allclose(float(loss), -np.mean(log_px - kl), rtol=1e-4)
  # The KL's closed form at two known points: N(0, 1) -> 0; N(1, 1) -> 1/2 per dimension.
  np.testing.assert_allclose(gaussian_kl(jnp.zeros((1, 3)), jnp.zeros((1, 3))), [0.0], atol=1e-7)
  np.testing.assert_allclose(gaussian_kl(jnp.ones((1, 3)), jnp.zeros((1, 3))), [1.5], rtol=1e-6)


def _split_images(cfg, split: str) -> np.ndarray:
  """The digits split as the model reads it: float32 [N, 16, 16, 1] in [-1, 1]."""
  source = data_source(cfg.dataset, split)
  return to_model_batch({k: np.stack([source[i][k] for i in range(len(source))])
                         for k in ("image", "label")}, build_experiment(cfg).spec.schema)["image"]


def _vae_scores(exp, state, x) -> dict:
  """Test-split means of the ELBO, log p(x|z) and KL (nats per image, one z draw per image, eval
  mode), and the KL of each latent dimension."""
  log_px, kl, _ = jax.jit(lambda s, x: exp.objective.terms(s, x, jax.random.PRNGKey(0),
                                                           train=False))(state, jnp.asarray(x))
  (mean, log_var), _ = exp.objective.nets.apply(state, "encoder", jnp.asarray(x), train=False)
  mean, log_var = np.asarray(mean, np.float64), np.asarray(log_var, np.float64)
  per_dim = 0.5 * np.mean(mean ** 2 + np.exp(log_var) - 1 - log_var, axis=0)
  return {"elbo": float(jnp.mean(log_px - kl)), "log_px": float(jnp.mean(log_px)),
          "kl": float(jnp.mean(kl)), "kl_per_dim": per_dim}


def _mean_image_log_likelihood(train: np.ndarray, test: np.ndarray) -> float:
  """log p(x) of the test images (nats per image, the VAE's Bernoulli on grey levels) under the
  train split's mean image: the best that a decoder ignoring z does, so the best ELBO of a
  collapsed posterior (q(z|x) = N(0, I), KL 0), whose decoder's output must be one constant p."""
  p = np.clip((np.asarray(train, np.float64).mean(0) + 1) / 2, 1e-6, 1 - 1e-6)
  x01 = (np.asarray(test, np.float64) + 1) / 2
  return float(np.mean(np.sum(x01 * np.log(p) + (1 - x01) * np.log(1 - p), axis=(1, 2, 3))))


@pytest.mark.slow
def test_vae_beats_the_mean_image_and_uses_its_latents(tmp_path):
  cfg = _vae_config()
  cfg.batch_size, cfg.num_train_steps, cfg.log_every, cfg.checkpoint_every = 32, 600, 100, 600
  exp = build_experiment(cfg)
  x = _split_images(cfg, "test")
  untrained = _vae_scores(exp, exp.init_state(), x)
  trained = _vae_scores(exp, train_and_evaluate(cfg, str(tmp_path)), x)
  baseline = _mean_image_log_likelihood(_split_images(cfg, "train"), x)
  per_dim = trained["kl_per_dim"]
  print(f"vae digits test: ELBO {trained['elbo']:.1f}, log p(x|z) {trained['log_px']:.1f}, KL "
        f"{trained['kl']:.2f} ({int(np.sum(per_dim > 0.1))} of {len(per_dim)} dims above 0.1 nats); "
        f"mean image {baseline:.1f}; untrained ELBO {untrained['elbo']:.1f}")
  # digits: 256 grey levels per image; the untrained decoder predicts ~0.5 everywhere.
  assert trained["elbo"] > untrained["elbo"] + 40.0, (untrained, trained)
  # Measured at 600 steps: ELBO -103.6 and log p(x|z) -97.0 against the mean image's -115.4
  # (perfect reconstruction, p = x: -84.0); KL 6.5 nats, spread over ~10 of the 32 dimensions.
  assert trained["elbo"] > baseline + 6.0, (trained, baseline)
  assert trained["log_px"] > baseline + 12.0, (trained, baseline)
  # A collapsed posterior has KL 0 in every dimension.
  assert np.mean(per_dim) > 0.05 and np.sum(per_dim > 0.1) >= 4, per_dim


def test_old_layout_checkpoint_fails_with_a_message_and_stays(tmp_path):
  old = {"step": jnp.zeros((), jnp.int32), "key": jax.random.PRNGKey(0),
         "g": {"params": {"w": jnp.ones((3, 2))}}, "d": {"params": {"w": jnp.ones((2,))}},
         "ema_params": {"w": jnp.ones((3, 2))}, "extras": {}}
  ckpt = Checkpointer(str(tmp_path))
  ckpt.save(5, old, None, force=True)
  ckpt.close()
  cfg = _cycle_config()
  with pytest.raises(CheckpointError, match="before the family core"):
    train_and_evaluate(cfg, str(tmp_path))
  assert (tmp_path / "checkpoints" / "5").is_dir()  # not moved, not deleted
  assert not (tmp_path / "damaged_checkpoints").exists()


def test_frozen_network_is_read_and_never_updated(tmp_path):
  import dataclasses

  from ganjax.families.mlp.networks import MLPDiscriminator
  from ganjax.core.phases import Phase

  cfg = _cycle_config()
  cfg.num_train_steps, cfg.checkpoint_every = 2, 2
  exp = build_experiment(cfg)
  family = exp.family
  judge = MLPDiscriminator((8,))
  frozen = judge.init(jax.random.PRNGKey(9), jnp.zeros((1, 16, 16, 1)), train=False)
  objective = family.objective
  nets = objective.nets
  nets.modules["judge"] = judge

  def g_loss(params, state, batch, key):  # the generator phase also reports the judge's score
    loss, (metrics, cols) = objective.g_loss(params, state, batch, key)
    score = jnp.mean(nets.apply(state, "judge", batch["image"], train=True)[0].logits)
    return loss, ({**metrics, "judge": score}, cols)

  phases = (objective.phases[0], Phase("g", "g", g_loss))
  judged = type("Judged", (), {"phases": phases, "techniques": (), "sample": objective.sample})()
  exp.family = dataclasses.replace(family, networks={**family.networks, "judge": judge},
                                   frozen={"judge": lambda: frozen}, objective=judged)
  state = exp.init_state()
  batch = {"image": jax.random.uniform(jax.random.PRNGKey(3), (8, 16, 16, 1), minval=-1, maxval=1)}
  for _ in range(2):
    state, metrics = exp.train_step(state, batch)
  expected = jnp.mean(judge.apply(frozen, batch["image"], train=False).logits)
  np.testing.assert_allclose(float(metrics["judge"]), float(expected), rtol=1e-5)
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(state.frozen["judge"]), frozen)
  assert "judge" not in state.ema and all("judge" not in p.params for p in state.players.values())
