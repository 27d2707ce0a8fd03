"""Several train steps per dispatch: `lax.scan` of the one step over a stacked block of batches.

With `config.steps_per_dispatch = k` the loop hands the compiled program k global batches at once
([k, B, ...]) and gets back the state after k steps: one dispatch and one host round trip per k
steps instead of per step. The scan body is the unchanged step, so a block computes exactly what
k single steps compute. Blocks end on every logging, sampling and checkpoint boundary and on the
last step, so those see the same states as with k = 1 (`plan_blocks`).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from ganjax.data.pipeline import global_batch
from ganjax.runtime.parallel import DATA_AXIS, batch_sharding


def scan_steps(step: Callable) -> Callable:
  """step(state, batch) -> (state, metrics)  =>  steps(state, batches) -> (state, metrics).

  batches: the step's batch pytree with a leading block axis [k, B, ...]; the returned metrics are
  those of the block's last step (what the loop logs at the block's end). The scan is unrolled:
  as an XLA while loop the same k = 4 block ran ~9x slower per step on XLA:CPU (BENCHMARKS.md),
  unrolled it runs at the single-step rate; the cost is k times the compile time.
  """

  def steps(state, batches):
    state, metrics = jax.lax.scan(step, state, batches, unroll=True)
    return state, jax.tree.map(lambda m: m[-1], metrics)

  return steps


def plan_blocks(start: int, total: int, k: int, every: Sequence[int]) -> Iterator[tuple[int, int]]:
  """Yields (first step, length) of each dispatch covering steps [start, total).

  A block has length k unless it would run past `total` or past a multiple of some n in `every`
  (the log / sample / checkpoint cadences; 0 = never); then single steps run up to that boundary,
  so only the k-step and the 1-step programs are ever compiled.
  """
  step = start
  while step < total:
    limit = min([total] + [(step // n + 1) * n for n in every if n])
    n = k if step + k <= limit else 1
    yield step, n
    step += n


def stage_block(local_batches: list[dict], mesh) -> dict:
  """This process's batches of one block -> global arrays on `mesh`: one batch as [B, ...] split
  over `data`, k > 1 batches stacked to [k, B, ...] with the batch axis (1) split over `data`."""
  if len(local_batches) == 1:
    return global_batch(local_batches[0], batch_sharding(mesh))
  stacked = jax.tree.map(lambda *xs: np.stack(xs), *local_batches)
  return global_batch(stacked, NamedSharding(mesh, P(None, DATA_AXIS)))
