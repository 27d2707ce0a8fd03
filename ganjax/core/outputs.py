"""What a discriminator returns: one structured value whose heads share one trunk.

Losses read `logits`; the other fields are filled by the heads a family puts on the trunk and read
by the objective terms that need them, so ACGAN, projection and InfoGAN are heads, not branches:

  logits:       [B] or [B, h, w] (a PatchGAN map) float32, the adversarial output.
  features:     [B, F] float32, the trunk's flat features before any head (feature matching).
  class_logits: [B, num_classes] float32, an auxiliary classifier head (ACGAN).
  projection:   [B] float32, the class-projection term <embed(y), features> already in `logits`
                (projection discriminator), reported for inspection.
  q:            a dict of Q-head outputs (InfoGAN), e.g. {"categorical": [B, K], "mean": [B, c]}.
"""

from __future__ import annotations

from typing import Any

import flax
import jax


@flax.struct.dataclass
class DOutput:
  logits: jax.Array
  features: jax.Array | None = None
  class_logits: jax.Array | None = None
  projection: jax.Array | None = None
  q: Any = None


def logits_of(out) -> jax.Array:
  """The adversarial logits of a discriminator output (a DOutput or a bare array)."""
  return out.logits if isinstance(out, DOutput) else out


def as_output(out) -> DOutput:
  """A discriminator's output as a DOutput (a bare logits array becomes DOutput(logits))."""
  return out if isinstance(out, DOutput) else DOutput(logits=out)
