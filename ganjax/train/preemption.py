"""Preemption: a run told to stop saves the step it reached and exits with a status that says so.

Schedulers give notice before they evict a job with SIGTERM (spot and preemptible VMs, SLURM's
`--signal`, a Kubernetes eviction); a user stops a run with Ctrl-C (SIGINT). Either way the step in
flight finishes, a checkpoint of that step (with the data iterator's position) is written, and
`train.py` exits with `PREEMPTED_EXIT_CODE`; rerunning the same command resumes from it bit for
bit. A second signal during the save does not interrupt it.

One process: Python handlers for SIGTERM and SIGINT set a flag the loop reads after each dispatch.
Several processes (`jax.distributed`): JAX's preemption service owns SIGTERM (its notifier is
installed by `jax.distributed.initialize`); `multihost_utils.reached_preemption_sync_point` is true
on every process at the same step once any of them got the notice, so all save that step
together. SIGINT keeps Python's default there: a Ctrl-C on one host cannot be agreed on.
"""

from __future__ import annotations

import signal
import threading

from absl import logging

from ganjax.errors import GanjaxError

# EX_TEMPFAIL (sysexits.h): "a temporary failure; the user is invited to retry". Not 143 (a death
# by SIGTERM), so a job script or a Kubernetes podFailurePolicy can tell a clean stop from a kill.
PREEMPTED_EXIT_CODE = 75
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Preempted(GanjaxError):
  """The run stopped on a signal after saving the step it reached."""

  def __init__(self, step: int, directory: str, signal_name: str):
    super().__init__(f"stopped by {signal_name} at step {step}; checkpoint of step {step} saved in "
                     f"{directory}. Rerun the same command to resume from it.")
    self.step, self.directory, self.signal_name = step, directory, signal_name


def _distributed() -> bool:
  from jax._src import distributed
  return distributed.global_state.client is not None


class PreemptionWatch:
  """Context manager around the training loop; `requested(step)` says whether to save and stop
  after `step` (every process calls it at the same steps)."""

  def __init__(self):
    self.received: str | None = None  # name of the first signal, once one came
    self._previous: dict = {}
    self._sync = False

  def __enter__(self) -> "PreemptionWatch":
    self._sync = _distributed()
    if threading.current_thread() is not threading.main_thread():
      return self  # Python installs handlers from the main thread only: a library call elsewhere
    for sig in () if self._sync else SIGNALS:
      self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def __exit__(self, *exc) -> None:
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)
    self._previous.clear()

  def _handle(self, signum, frame) -> None:
    del frame
    name = signal.Signals(signum).name
    if self.received is None:
      self.received = name
      logging.warning("Received %s: finishing the step in flight, then saving a checkpoint and "
                      "stopping.", name)
    else:  # a second notice (or an impatient Ctrl-C) must not cut the save short
      logging.warning("Received %s again: still saving the checkpoint; it will stop when the save "
                      "is complete.", name)

  def requested(self, step: int) -> bool:
    if self._sync:
      from jax.experimental import multihost_utils
      if multihost_utils.reached_preemption_sync_point(step):
        self.received = self.received or "SIGTERM"
        return True
      return False
    return self.received is not None
