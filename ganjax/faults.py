"""Fault injection for reliability tests, from the environment (never from a saved config):

  GANJAX_FAULT="kill_after_step=5"   SIGKILL this process right after step 5 completes
  GANJAX_FAULT="kill_in_save=4"      SIGKILL while the step-4 checkpoint is being written
  GANJAX_FAULT="stall_before_first_step=45"  sleep 45 s before the first step (a slow process)
  GANJAX_FAULT="term_after_step=5"   send this process SIGTERM right after step 5 completes
  GANJAX_FAULT="int_after_step=5"    send it SIGINT (a Ctrl-C) right after step 5 completes
  GANJAX_FAULT="term_in_save=5"      send it SIGTERM again while the step-5 checkpoint is written
"""

from __future__ import annotations

import os
import signal
import time


def fault_step(name: str) -> int | None:
  """The step at which fault `name` is armed, or None."""
  for item in os.environ.get("GANJAX_FAULT", "").split(","):
    key, _, value = item.partition("=")
    if key.strip() == name and value.strip().isdigit():
      return int(value)
  return None


def maybe_kill(name: str, step: int) -> None:
  if fault_step(name) == step:
    os.kill(os.getpid(), signal.SIGKILL)


def maybe_signal(name: str, step: int, sig: int = signal.SIGTERM) -> None:
  """Sends `sig` to this process (as a scheduler's preemption notice would) at the armed step."""
  if fault_step(name) == step:
    os.kill(os.getpid(), sig)


def maybe_preempt(step: int) -> None:
  """term_after_step: SIGTERM (a scheduler's notice); int_after_step: SIGINT (a Ctrl-C)."""
  maybe_signal("term_after_step", step)
  maybe_signal("int_after_step", step, signal.SIGINT)


def maybe_stall(name: str) -> None:
  """Sleeps the armed number of seconds (simulates a process that is late to the first step)."""
  seconds = fault_step(name)
  if seconds:
    time.sleep(seconds)
