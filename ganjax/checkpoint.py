"""Orbax checkpoints of the GANState together with the data iterator's state.

Layout: WORKDIR/checkpoints/<step>/{state, data}. `state` is the GANState pytree, `data` the grain
iterator state (JSON), so a restored run continues with exactly the batches it would have seen.
"""

from __future__ import annotations

import os
from typing import Any

import jax
import orbax.checkpoint as ocp


class Checkpointer:
  """Periodic saves, keep the last `max_to_keep`, resume from the newest."""

  def __init__(self, workdir: str, *, max_to_keep: int = 3, save_every: int = 1000):
    self.directory = os.path.join(os.path.abspath(workdir), "checkpoints")
    self.save_every = save_every
    self.manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, create=True),
        item_names=("state", "data"))

  def latest_step(self) -> int | None:
    return self.manager.latest_step()

  def save(self, step: int, state: Any, data_state: dict | None, *, force: bool = False) -> bool:
    """Saves when `step` is a multiple of save_every (or `force`); returns whether it saved."""
    if not force and (self.save_every <= 0 or step % self.save_every):
      return False
    if step in self.manager.all_steps():
      return False
    args = {"state": ocp.args.StandardSave(state)}
    if data_state is not None:
      args["data"] = ocp.args.JsonSave(data_state)
    return self.manager.save(step, args=ocp.args.Composite(**args), force=True)

  def restore(self, abstract_state: Any, step: int | None = None, *, with_data: bool = True):
    """Returns (state, data_state or None) of `step` (default: latest), or None if there is none.

    abstract_state: a pytree of jax.ShapeDtypeStruct (with shardings) shaped like the state.
    """
    step = self.manager.latest_step() if step is None else step
    if step is None:
      return None
    args = {"state": ocp.args.StandardRestore(abstract_state)}
    if with_data and os.path.isdir(os.path.join(self.directory, str(step), "data")):
      args["data"] = ocp.args.JsonRestore()
    restored = self.manager.restore(step, args=ocp.args.Composite(**args))
    return restored["state"], (restored["data"] if "data" in args else None)

  def wait(self) -> None:
    self.manager.wait_until_finished()

  def close(self) -> None:
    self.manager.wait_until_finished()
    self.manager.close()


def abstract_like(tree: Any) -> Any:
  """ShapeDtypeStructs (keeping shardings) of a concrete or abstract pytree."""
  return jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=getattr(x, "sharding", None)), tree)
