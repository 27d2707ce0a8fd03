"""Fault injection for reliability tests, from the environment (never from a saved config):

  GANJAX_FAULT="kill_after_step=5"   SIGKILL this process right after step 5 completes
  GANJAX_FAULT="kill_in_save=4"      SIGKILL while the step-4 checkpoint is being written
"""

from __future__ import annotations

import os
import signal


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
