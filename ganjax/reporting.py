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
  """Writes scalars to WORKDIR/tensorboard (tensorboardX) and appends them to WORKDIR/metrics.jsonl.

  resume_step: the step a resumed run continues from; rows of later steps (logged by a killed run
  after its last checkpoint) are dropped from metrics.jsonl and purged from TensorBoard, so each
  step has one row."""

  def __init__(self, workdir: str, resume_step: int | None = None):
    self.workdir = workdir
    self.enabled = jax.process_index() == 0
    self._tb = None
    if self.enabled:
      from tensorboardX import SummaryWriter
      if resume_step is not None:
        drop_rows_after(os.path.join(workdir, "metrics.jsonl"), resume_step)
      self._tb = SummaryWriter(os.path.join(workdir, "tensorboard"),
                               purge_step=None if resume_step is None else resume_step + 1)

  def write_scalars(self, step: int, scalars: Mapping[str, Any]) -> None:
    if not self.enabled:
      return
    row = {k: float(v) for k, v in scalars.items()}
    for k, v in row.items():
      self._tb.add_scalar(k, v, step)
    with open(os.path.join(self.workdir, "metrics.jsonl"), "a") as f:
      f.write(json.dumps({"step": int(step), "time": time.time(), **row}) + "\n")

  def flush(self) -> None:
    if self._tb is not None:
      self._tb.flush()

  def close(self) -> None:
    if self._tb is not None:
      self._tb.close()


def drop_rows_after(path: str, step: int) -> None:
  """Rewrites the JSON-lines file `path` without the rows whose "step" is > `step` (atomically;
  unparsable lines are kept as they are)."""
  if not os.path.isfile(path):
    return
  with open(path) as f:
    lines = f.readlines()
  def later(line: str) -> bool:
    try:
      return int(json.loads(line).get("step", -1)) > step
    except (ValueError, AttributeError):
      return False
  kept = [line for line in lines if not later(line)]
  if len(kept) == len(lines):
    return
  tmp = path + ".tmp"
  with open(tmp, "w") as f:
    f.writelines(kept)
  os.replace(tmp, path)


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
