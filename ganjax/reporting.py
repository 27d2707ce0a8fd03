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

from ganjax.metrics.kid import KID_DISPLAY_SCALE, display_name, is_kid_column


class MetricWriter:
  """Writes scalars to WORKDIR/tensorboard (tensorboardX) and appends them to WORKDIR/metrics.jsonl.
  KID columns ("eval/kid_mean", "eval/kid_std") stay raw in metrics.jsonl and are shown x 1e3 in
  TensorBoard under "<column>_x1e3" (ganjax/metrics/kid.py, display_scores).

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
    for k, v in row.items():  # KID x 1e3 in TensorBoard, tagged so; raw in metrics.jsonl
      self._tb.add_scalar(display_name(k, tag=True), KID_DISPLAY_SCALE * v if is_kid_column(k) else v,
                          step)
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


_PROJECT_DIRS = tuple(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), d)
                      + os.sep for d in ("ganjax", "experiments", "benchmarks"))
# Warnings libraries print on every normal run that say nothing a user can act on (each seen on a
# tiny train.py / sample.py run; where it comes from):
HARMLESS_LIBRARY_WARNINGS = (
    # orbax (_src/metadata/checkpoint.py) looks for _CHECKPOINT_METADATA inside each item's
    # directory (checkpoints/N/state/) on every restore; orbax writes it one level up (N/).
    "Metadata file does not exist",
    # orbax (checkpoint_manager.py) narrating the read-only manager the tools open on purpose
    # (ganjax/checkpoint.py: sample.py, evaluate.py, encode.py, translate.py).
    "CheckpointManagerOptions.read_only=True, setting",
    "Given directory is read only",
)


class _LibraryInfoFilter:
  """What reaches absl's stderr handler: ganjax's own records (ganjax/, experiments/, benchmarks/)
  at every level; other libraries' WARNING and above, except HARMLESS_LIBRARY_WARNINGS. Dropped:
  library INFO such as jax's "Unable to initialize backend 'tpu': ... libtpu.so" (jax/_src/
  xla_bridge.py, probing for a TPU on every CPU start), tensorflow_datasets' "Load dataset info
  from ..." (dataset_info.py) and orbax's per-save chatter. With --verbosity=1 (absl DEBUG) or
  more everything passes."""

  def filter(self, record) -> bool:
    import logging as pylogging
    from absl import logging as absl_logging
    if absl_logging.get_verbosity() >= absl_logging.DEBUG:
      return True
    if record.pathname.startswith(_PROJECT_DIRS) or record.levelno >= pylogging.ERROR:
      return True
    if record.levelno < pylogging.WARNING:
      return False
    message = str(record.msg)
    return not any(m in message for m in HARMLESS_LIBRARY_WARNINGS)


def quiet_library_logs() -> None:
  """Keeps absl's log readable: ganjax's own lines stay, libraries' INFO and their known harmless
  warnings go (`_LibraryInfoFilter`). Call once at the start of a script's main."""
  from absl import logging as absl_logging
  handler = absl_logging.get_absl_handler()
  if not any(isinstance(f, _LibraryInfoFilter) for f in handler.filters):
    handler.addFilter(_LibraryInfoFilter())
