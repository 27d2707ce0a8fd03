"""What the user sees: TensorBoard scalars, metrics.jsonl, config.json, a progress bar.

Only process 0 writes; on other processes every method is a no-op.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Mapping

import jax
import tqdm


class MetricWriter:
  """Writes scalars to WORKDIR/tensorboard (tensorboardX) and appends them to WORKDIR/metrics.jsonl."""

  def __init__(self, workdir: str):
    self.workdir = workdir
    self.enabled = jax.process_index() == 0
    self._tb = None
    if self.enabled:
      from tensorboardX import SummaryWriter
      self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"))

  def write_scalars(self, step: int, scalars: Mapping[str, Any]) -> None:
    if not self.enabled:
      return
    row = {k: float(v) for k, v in scalars.items()}
    for k, v in row.items():
      self._tb.add_scalar(k, v, step)
    with open(os.path.join(self.workdir, "metrics.jsonl"), "a") as f:
      f.write(json.dumps({"step": int(step), "time": time.time(), **row}) + "\n")

  def write_config(self, config) -> None:
    if self.enabled:
      with open(os.path.join(self.workdir, "config.json"), "w") as f:
        f.write(config.to_json_best_effort(indent=2, sort_keys=True))

  def flush(self) -> None:
    if self._tb is not None:
      self._tb.flush()

  def close(self) -> None:
    if self._tb is not None:
      self._tb.close()


def progress_bar(start: int, total: int):
  """A tqdm bar showing steps/s and ETA; disabled off process 0."""
  return tqdm.tqdm(initial=start, total=total, unit="step", dynamic_ncols=True, smoothing=0.1,
                   disable=jax.process_index() != 0, mininterval=1.0)


class _LibraryInfoFilter:
  """Drops INFO records from libraries that narrate every checkpoint step (orbax)."""

  def filter(self, record) -> bool:
    import logging as pylogging
    return record.levelno >= pylogging.WARNING or "orbax" not in record.pathname


def quiet_library_logs() -> None:
  """Keeps absl's log readable: ganjax's own INFO lines stay, orbax's per-save chatter goes."""
  from absl import logging as absl_logging
  absl_logging.get_absl_handler().addFilter(_LibraryInfoFilter())
