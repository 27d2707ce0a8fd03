r"""Trains shipped configs a few steps in this checkout and prints a checksum of each final state,
to show two commits compute the same thing bit for bit (run it in a checkout of each).

  python benchmarks/same_numbers.py --configs=dcgan_fashion_mnist,acgan_fashion_mnist --steps=3

Each config runs at batch 8 for --steps steps (no grids, one checkpoint) in a temporary workdir on
the prepared dataset; the checksum is a SHA-256 of every leaf of the final GANState (parameters,
optimizer states, EMA copies, collections, technique state), first 16 hex digits.
"""

import hashlib
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

from experiments import configs  # noqa: E402

_CONFIGS = flags.DEFINE_list("configs", ["dcgan_fashion_mnist"], "experiments/configs names.")
_STEPS = flags.DEFINE_integer("steps", 3, "Training steps per config.")


def state_checksum(state) -> str:
  h = hashlib.sha256()
  for leaf in jax.tree.leaves(jax.device_get(state)):
    h.update(np.ascontiguousarray(np.asarray(leaf)).tobytes())
  return h.hexdigest()[:16]


def main(argv):
  del argv
  from ganjax.train.loop import train_and_evaluate
  out = {}
  for name in _CONFIGS.value:
    c = configs.named(name)
    c.batch_size, c.num_train_steps, c.sample_every, c.log_every = 8, _STEPS.value, 0, _STEPS.value
    c.checkpoint_every, c.eval_every = _STEPS.value, 0
    out[name] = state_checksum(train_and_evaluate(c, tempfile.mkdtemp()))
    print(name, out[name], flush=True)
  print(json.dumps(out))


if __name__ == "__main__":
  app.run(main)
