"""Host-memory reuse for XLA:CPU: glibc told to keep freed memory instead of unmapping it.

Each execution of a compiled step allocates its temporaries (at batch 256 the seed DCGAN's step
asks for blocks of 56, 62 and 123 MB) and frees them at the end. glibc serves blocks over 32 MB
with a fresh `mmap` and returns them with `munmap`, and XLA's worker threads allocate from their
own arenas, whose heaps it also unmaps when they empty: every step then faults its ~128 MB back
in page by page (~32,000 page faults and ~55 ms of kernel time per step on the 2-core CPU,
BENCHMARKS.md). `retain_freed_memory()` sets, through `mallopt`:

- M_ARENA_MAX = 1: every thread allocates from the main heap (the step makes a few dozen
  allocations; there is no lock contention to speak of),
- M_MMAP_MAX = 0: no block is served by its own mapping,
- M_TRIM_THRESHOLD = 2 GiB - 1: freed memory at the top of the heap is kept for the next step,

so after the first steps the same pages are reused. Nothing computed changes. The cost is
memory: the heap keeps the fragmented peak it reached, so peak RSS can be higher than with
glibc's defaults (batch 256: ~505 -> 732 MiB; batch 32: ~462 -> 432; BENCHMARKS.md).

The arena setting only reaches threads that have not allocated yet, so call it before JAX starts
its backend (before the first `jax.devices()` or computation); afterwards it returns False and
changes nothing. On other C libraries (macOS, musl) it is a no-op returning False.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

HOST_MEMORY_MODES = ("retain", "system")  # config.host_memory: this module's tuning, or glibc's own
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
_KEEP_BYTES = 2 ** 31 - 1  # mallopt takes a C int


def _glibc():
  if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
    return None
  try:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
  except OSError:
    return None


def backend_started() -> bool:
  """Whether JAX has already created its backends (and with them XLA's worker threads). A JAX
  without this (private) query counts as started, so the tuning is skipped, never misapplied."""
  try:
    from jax._src import xla_bridge
    return bool(xla_bridge.backends_are_initialized())
  except (ImportError, AttributeError):
    return True


def retain_freed_memory() -> bool:
  """Sets glibc to keep freed memory in the process (see module docstring). Returns True when it
  took effect: glibc, and JAX's backend not started yet."""
  libc = _glibc()
  if libc is None or backend_started():
    return False
  ok = libc.mallopt(_M_ARENA_MAX, 1) and libc.mallopt(_M_MMAP_MAX, 0)
  return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES))
