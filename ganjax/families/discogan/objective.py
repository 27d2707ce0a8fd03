"""The DiscoGAN objective (Kim et al. 2017, Eq. 5-6, with the reference's `image_translation.py`
schedule): translators G_ab, G_ba and critics D_a, D_b (D_b tells real b images from G_ab's).

Per direction (a2b shown; b2a mirrors it), with rate r:

  L_G_ab = (0.1 gan_b + 0.9 fm_b) (1 - r) + r recon_a
  gan_b   = E[-log D_b(G_ab(a))]                    non-saturating GAN loss (BCE against "real")
  fm_b    = sum over D_b's normalised layers of mean_j (E_B[phi_j(b)] - E_B[phi_j(G_ab(a))])^2
            (feature matching: batch-mean activations of real and fake b, per unit)
  recon_a = mean (G_ba(G_ab(a)) - a)^2              (the reconstruction distance, Eq. 2)

G minimises L_G_ab + L_G_ba; each critic minimises 0.5 BCE(real, 1) + 0.5 BCE(fake, 0) (the
reference's halved vanilla GAN loss). r = starting_rate (0.01) for the first gan_curriculum steps,
then default_rate (0.5): a curriculum that first lets the GAN terms shape the translators and then
weighs reconstruction equally. The reference uses gan_curriculum 10000 at batch 64; ganjax's
default is 1000, a tenth of a run of a few thousand steps.

Phases: "d" then "g" repeated g_steps (2) times: the reference updates D on one iteration of
every update_interval = 3 and G on the other two, each iteration one batch; here a step reads one
batch for all three updates. D's fakes come from G's params as the step starts, without gradient.
With batch norm (the reference's) every call runs in train mode on its own batch (real and fake
batches normalised separately, as the reference's separate forward passes), and the statistics
are threaded from one call of a network to the next within a loss.

Batch fields: "a" and "b" [B, H, W, C] float32 in [-1, 1] (unpaired).
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp

from ganjax.core.networks import Networks
from ganjax.core.outputs import DOutput
from ganjax.core.phases import Phase
from ganjax.core.state import GANState, with_collections
from ganjax.objectives.losses import non_saturating
from ganjax.objectives.samplers import UnpairedTranslation
from ganjax.objectives.translation_terms import squared


def feature_matching(real: tuple, fake: tuple, axis_name: str | None = None) -> jax.Array:
  """Sum over layers of the mean squared difference of batch-mean activations; real, fake:
  tuples of [B, ...] float32 (DOutput.features of a ConvDiscriminator) -> float32 scalar. Under
  shard_map (`axis_name` set) the batch means are over the global batch (a pmean of the
  per-device means), so the term is the one-device one whatever the device count."""
  def batch_mean(x):
    m = jnp.mean(x, 0)
    return m if axis_name is None else jax.lax.pmean(m, axis_name)
  return sum(jnp.mean(jnp.square(batch_mean(r) - batch_mean(f))) for r, f in zip(real, fake))


def generator_loss(gan: jax.Array, fm: jax.Array, recon: jax.Array, rate: jax.Array) -> jax.Array:
  """One direction's G loss: (0.1 gan + 0.9 fm) (1 - rate) + rate recon (the reference's)."""
  return (0.1 * gan + 0.9 * fm) * (1.0 - rate) + recon * rate


class _Calls:
  """Applies networks on a state in train mode, threading each network's updated collections
  (batch statistics) into its next call; `updated(nets)` -> {network: collections}."""

  def __init__(self, nets: Networks, state: GANState):
    self.nets, self.state, self.cols = nets, state, {}

  def __call__(self, name: str, x: jax.Array, params=None):
    out, cols = self.nets.apply(self.state, name, x, params=params, train=True)
    if cols:
      self.cols[name] = cols
      self.state = with_collections(self.state, self.state.owner(name), name, cols)
    return out

  def updated(self, names) -> dict:
    return {n: self.cols[n] for n in names if n in self.cols}


@dataclasses.dataclass(frozen=True)
class DiscoGANObjective(UnpairedTranslation):
  """nets: {"g_ab", "g_ba": images -> images, "d_a", "d_b": images -> DOutput(logits [B],
  features tuple)}."""
  nets: Networks
  starting_rate: float = 0.01
  default_rate: float = 0.5
  gan_curriculum: int = 1000
  g_steps: int = 2
  techniques: tuple = ()
  axis_name: str | None = None  # the shard_map axis in pmap mode (global feature means)
  progress_metrics = ("d_loss", "g_loss", "recon")

  @property
  def phases(self) -> tuple[Phase, ...]:
    return (Phase("d", "d", self.d_loss), Phase("g", "g", self.g_loss, repeat=self.g_steps))

  def rate(self, step: jax.Array) -> jax.Array:
    """The reconstruction weight at `step` (int32 scalar): float32 starting_rate before
    gan_curriculum, default_rate from then on."""
    return jnp.where(step < self.gan_curriculum, self.starting_rate,
                     self.default_rate).astype(jnp.float32)

  def d_loss(self, d_params, state: GANState, batch, key):
    del key  # nothing random
    a, b = batch["a"], batch["b"]
    calls = _Calls(self.nets, state)
    fake_b = jax.lax.stop_gradient(calls("g_ab", a))
    fake_a = jax.lax.stop_gradient(calls("g_ba", b))
    logits = lambda net, x: calls(net, x, d_params[net]).logits
    d_a = 0.5 * non_saturating(logits("d_a", a), logits("d_a", fake_a))[0]
    d_b = 0.5 * non_saturating(logits("d_b", b), logits("d_b", fake_b))[0]
    loss = d_a + d_b
    return loss, ({"d_loss": loss, "d_a": d_a, "d_b": d_b}, calls.updated(("d_a", "d_b")))

  def g_loss(self, g_params, state: GANState, batch, key):
    del key  # nothing random
    a, b = batch["a"], batch["b"]
    calls = _Calls(self.nets, state)
    ab = lambda x: calls("g_ab", x, g_params["g_ab"])
    ba = lambda x: calls("g_ba", x, g_params["g_ba"])
    fake_b, fake_a = ab(a), ba(b)
    recon_a, recon_b = squared(a, ba(fake_b)), squared(b, ab(fake_a))

    def adversarial(critic: str, real: jax.Array, fake: jax.Array):
      real_out: DOutput = calls(critic, real)
      fake_out: DOutput = calls(critic, fake)
      gan = non_saturating(real_out.logits, fake_out.logits)[1]
      return gan, feature_matching(real_out.features, fake_out.features, self.axis_name)

    gan_b, fm_b = adversarial("d_b", b, fake_b)
    gan_a, fm_a = adversarial("d_a", a, fake_a)
    rate = self.rate(state.step)
    loss_ab = generator_loss(gan_b, fm_b, recon_a, rate)
    loss_ba = generator_loss(gan_a, fm_a, recon_b, rate)
    loss = loss_ab + loss_ba
    metrics = {"g_loss": loss, "g_ab": loss_ab, "g_ba": loss_ba, "gan": gan_a + gan_b,
               "fm": fm_a + fm_b, "recon": recon_a + recon_b, "rate": rate}
    return loss, (metrics, calls.updated(("g_ab", "g_ba")))
