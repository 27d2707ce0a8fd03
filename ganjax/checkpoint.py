"""Orbax checkpoints of the GANState together with the data iterator's state.

Layout: WORKDIR/checkpoints/<step>/{state, data}. `state` is the GANState pytree, `data` the grain
iterator state (JSON), so a restored run continues with exactly the batches it would have seen.
Orbax writes each step to a temporary directory and renames it when complete, so a process killed
mid-save leaves the previous checkpoints as they were. A checkpoint that fails to restore
(truncated, partly deleted) is moved to WORKDIR/damaged_checkpoints/ by the training run, and the
next older one is used; the read-only tools (`read_only=True`: sample.py, evaluate.py, encode.py,
translate.py) never move, write or delete anything: they fall back to the older step and say so in
one line. A checkpoint that cannot be read for a reason that is not its own (a permission, an I/O
error) is never moved. A checkpoint that reads fine but holds another tree (an older ganjax's
layout, or a different model config) is never moved either: restoring raises CheckpointError
naming each differing leaf with its saved and expected shape, and nothing changes.
"""

from __future__ import annotations

import os
import shutil
import time
from typing import Any

import jax
import orbax.checkpoint as ocp
from absl import logging

from ganjax import faults
from ganjax.errors import CheckpointError
from ganjax.core.guard import all_finite

_all_finite = jax.jit(all_finite)


class Checkpointer:
  """Periodic saves, keep the last `max_to_keep`, resume from the newest good one."""

  def __init__(self, workdir: str, *, max_to_keep: int = 3, save_every: int = 1000,
               read_only: bool = False):
    self.workdir = os.path.abspath(workdir)
    self.directory = os.path.join(self.workdir, "checkpoints")
    self.save_every = save_every
    self.max_to_keep = max_to_keep
    self.read_only = read_only
    if read_only and not os.path.isdir(self.directory):
      raise CheckpointError(f"no checkpoint in {self.directory}; train first with "
                            f"experiments/train.py.")
    self.manager = self._open()

  def _open(self) -> ocp.CheckpointManager:
    return ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(
            max_to_keep=self.max_to_keep, create=not self.read_only, read_only=self.read_only,
            cleanup_tmp_directories=not self.read_only),
        item_names=("state", "data"))

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def all_steps(self) -> list[int]:
    return sorted(self.manager.all_steps())

  def save(self, step: int, state: Any, data_state: dict | None, *, force: bool = False) -> bool:
    """Saves when `step` is a multiple of save_every (or `force`); returns whether it saved.

    Refuses (CheckpointError) to write a state with NaN/Inf; a failed write (e.g. a full disk)
    raises CheckpointError and leaves the earlier checkpoints intact.
    """
    if self.read_only:
      raise CheckpointError("this Checkpointer is read-only (a sampling or evaluation tool).")
    if not force and (self.save_every <= 0 or step % self.save_every):
      return False
    if step in self.manager.all_steps():
      return False
    if not bool(jax.device_get(_all_finite(state))):
      raise CheckpointError(f"refusing to save step {step}: the state holds NaN or Inf values. "
                            f"Checkpoints on disk are unchanged: steps {self.all_steps()}.")
    args = {"state": ocp.args.StandardSave(state)}
    if data_state is not None:
      args["data"] = ocp.args.JsonSave(data_state)
    try:
      saved = self.manager.save(step, args=ocp.args.Composite(**args), force=True)
      faults.maybe_kill("kill_in_save", step)
      faults.maybe_signal("term_in_save", step)
      self.manager.wait_until_finished()  # surfaces write errors here, not at a later save
    except OSError as e:
      raise CheckpointError(
          f"could not write the step-{step} checkpoint to {self.directory}: {e}. Earlier "
          f"checkpoints are intact (steps {self._complete_steps()}); free space and rerun to "
          f"resume from the newest.") from e
    return saved

  def _complete_steps(self) -> list[int]:
    return sorted(int(n) for n in os.listdir(self.directory) if n.isdigit())

  def restore(self, abstract_state: Any, step: int | None = None, *, with_data: bool = True):
    """Returns (state, data_state or None) of `step`, or of the newest checkpoint that restores;
    None when there is none. abstract_state: ShapeDtypeStructs (with shardings) of the state."""
    steps = [step] if step is not None else sorted(self.manager.all_steps(), reverse=True)
    skipped = []
    for s in steps:
      self._check_layout(s, abstract_state)
      args = {"state": ocp.args.StandardRestore(abstract_state)}
      if with_data and os.path.isdir(os.path.join(self.directory, str(s), "data")):
        args["data"] = ocp.args.JsonRestore()
      try:
        restored = self.manager.restore(s, args=ocp.args.Composite(**args))
      except Exception as e:  # orbax raises many types for damaged files; all mean "unusable"
        if step is not None or not_its_own_fault(e):
          raise CheckpointError(f"checkpoint step {s} in {self.directory} cannot be restored: "
                                f"{type(e).__name__}: {str(e)[:500]}. It was left as it is.") from e
        if not self.read_only:
          self._quarantine(s, e)
        else:
          self.manager.close()
          self.manager = self._open()
        skipped.append((s, f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"))
        continue
      if skipped:
        logging.warning("Restored step %d: %s", s, "; ".join(
            f"step {k} is damaged ({why})" + ("" if self.read_only else ", moved to "
                                              "damaged_checkpoints/") for k, why in skipped))
      return restored["state"], (restored["data"] if "data" in args else None)
    return None

  def saved_shapes(self, step: int) -> dict[str, tuple] | None:
    """{"a/b/c": shape} of the state saved at `step`, from its metadata; None if unreadable."""
    try:
      with ocp.StandardCheckpointer() as reader:
        meta = reader.metadata(os.path.join(self.directory, str(step), "state"))
      tree = getattr(getattr(meta, "item_metadata", meta), "tree", None)
    except Exception:  # a damaged checkpoint: restore() quarantines it
      return None
    return None if tree is None else _shapes(tree)

  def _check_layout(self, step: int, abstract_state: Any) -> None:
    """CheckpointError when checkpoint `step` holds a different tree than `abstract_state`."""
    saved = self.saved_shapes(step)
    if saved is None:
      return
    expected = _shapes(abstract_state)
    if saved == expected:
      return
    top = {k.split("/")[0] for k in saved}
    where = f"checkpoint step {step} in {self.directory}"
    if {"g", "d", "ema_params"} <= top and "players" not in top:
      raise CheckpointError(
          f"{where} was written by ganjax before the family core (state.g, state.d, "
          f"state.ema_params); this version keeps named players (state.players, state.ema) and "
          f"cannot restore it. Train again in a new --workdir, or sample from it with a ganjax "
          f"checkout from before the change (git commit 29edc14). The checkpoint was left as it is.")
    diff = [f"{k}: saved {saved[k]}, this config {expected[k]}"
            for k in sorted(set(saved) & set(expected)) if saved[k] != expected[k]]
    diff += [f"{k}: saved only" for k in sorted(set(saved) - set(expected))]
    diff += [f"{k}: this config only" for k in sorted(set(expected) - set(saved))]
    shown = "; ".join(diff[:8])
    raise CheckpointError(
        f"{where} holds another model than this config builds ({len(diff)} leaves differ: {shown}"
        f"{'; ...' if len(diff) > 8 else ''}). Use the config that wrote it (WORKDIR/config.json) "
        f"or a new --workdir. The checkpoint and config.json were left as they are.")

  def _quarantine(self, step: int, error: Exception) -> None:
    """Moves a damaged checkpoint aside (never deletes it) so that later saves can reuse its step."""
    target = os.path.join(self.workdir, "damaged_checkpoints", f"{step}-{int(time.time())}")
    logging.warning("Checkpoint step %d is damaged (%s: %s); moved to %s, trying the previous one.",
                    step, type(error).__name__, str(error)[:300], target)
    if jax.process_index() == 0:
      os.makedirs(os.path.dirname(target), exist_ok=True)
      shutil.move(os.path.join(self.directory, str(step)), target)
    self.manager.close()
    self.manager = self._open()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()


def not_its_own_fault(error: BaseException) -> bool:
  """Whether a restore failed for a reason outside the checkpoint's files (no permission to read
  them, an I/O error of the disk): such a checkpoint is not quarantined."""
  seen = error
  while seen is not None:
    if isinstance(seen, (PermissionError, InterruptedError)) or (
        isinstance(seen, OSError) and seen.errno in (5, 13)):  # EIO, EACCES
      return True
    seen = seen.__cause__ or seen.__context__
  return False


def _shapes(tree: Any) -> dict[str, tuple]:
  """{"a/b/c": shape} of every leaf of a state pytree or of orbax's tree metadata."""
  def name(k) -> str:
    for attr in ("key", "name", "idx"):
      if hasattr(k, attr):
        return str(getattr(k, attr))
    return str(k)
  flat = jax.tree_util.tree_flatten_with_path(tree)[0]
  return {"/".join(name(k) for k in path): tuple(getattr(leaf, "shape", ())) for path, leaf in flat}
