"""One writer per workdir: an exclusive `flock` on WORKDIR/.lock held for the run's lifetime.

The kernel drops a flock when its process dies (even by SIGKILL), so a lock file left by a dead
run is simply taken over; a live holder makes a second run refuse with its pid and host.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time

from absl import logging

from ganjax.errors import GanjaxError


class WorkdirLockedError(GanjaxError, RuntimeError):
  """Another live process is training in this workdir."""


class WorkdirLock:
  def __init__(self, workdir: str):
    self.path = os.path.join(workdir, ".lock")
    self._fd: int | None = None

  def acquire(self) -> "WorkdirLock":
    fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = _read_holder(fd)
      os.close(fd)
      raise WorkdirLockedError(
          f"workdir {os.path.dirname(self.path)!r} is in use by a live run (pid {holder.get('pid')} "
          f"on {holder.get('host')}, since {holder.get('since')}). Stop that run or pass another "
          f"--workdir.") from None
    previous = _read_holder(fd)
    if previous:
      logging.warning("Taking over the lock of a run that is no longer alive: %s", previous)
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                              "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode(), 0)
    self._fd = fd
    return self

  def release(self) -> None:
    if self._fd is not None:
      os.ftruncate(self._fd, 0)
      fcntl.flock(self._fd, fcntl.LOCK_UN)
      os.close(self._fd)
      self._fd = None

  def __enter__(self):
    return self.acquire()

  def __exit__(self, *exc):
    self.release()


def _read_holder(fd: int) -> dict:
  try:
    return json.loads(os.pread(fd, 4096, 0).decode() or "{}")
  except ValueError:
    return {}
