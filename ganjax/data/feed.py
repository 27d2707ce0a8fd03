"""The loop's batch feed: reads, stages on the devices and (optionally) prefetches the next blocks.

`BatchFeed` walks a plan of (first step, length) blocks (ganjax.train.dispatch.plan_blocks); for
each it reads `length` local batches, lets the loop transform them (fault injection), stacks them
when length > 1 and assembles the global `jax.Array`s. With `prefetch = n > 0` a background thread
does all of that up to n blocks ahead, so reading, host-to-device copies and the next dispatch's
inputs overlap the running step; with 0 the same work runs inline. Both yield identical batches.

Exact resume: after reading each block the thread records the data iterator's state, and
`data_state()` returns the one recorded with the block most recently handed out, so a checkpoint
stores the position after the batches the saved state has consumed, not the prefetched ones.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Callable, Iterable, Iterator

_DONE = object()


class BatchFeed:
  """Iterates (first step, length, global batch); the batch is [B, ...] for length 1, else [k, B, ...].

  data_iter: an iterator of local batches with get_state() (a grain DatasetIterator);
  plan: (first step, length) pairs; transform(step, local) -> local, applied per step;
  stage(locals) -> global batch, given the list of `length` transformed local batches.
  """

  def __init__(self, data_iter, plan: Iterable[tuple[int, int]],
               transform: Callable[[int, dict], dict], stage: Callable[[list], Any],
               prefetch: int = 0):
    self._iter, self._plan = data_iter, iter(plan)
    self._transform, self._stage = transform, stage
    self._state = data_iter.get_state()
    self._queue: queue.Queue | None = None
    self._stop = threading.Event()
    if prefetch > 0:
      self._queue = queue.Queue(maxsize=prefetch)
      self._thread = threading.Thread(target=self._fill, name="ganjax-prefetch", daemon=True)
      self._thread.start()

  def _read(self, step: int, n: int):
    locals_ = [self._transform(step + i, next(self._iter)) for i in range(n)]
    return step, n, self._stage(locals_), self._iter.get_state()

  def _fill(self) -> None:
    try:
      for step, n in self._plan:
        item = self._read(step, n)
        while not self._put(item):
          if self._stop.is_set():
            return
      self._put(_DONE, block=True)
    except BaseException as e:  # handed to the consumer, raised there
      self._put(e, block=True)

  def _put(self, item, block: bool = False) -> bool:
    try:
      self._queue.put(item, timeout=None if block else 0.1)
      return True
    except queue.Full:
      return False

  def __iter__(self) -> Iterator[tuple[int, int, Any]]:
    while True:
      if self._queue is None:
        block = next(self._plan, None)
        if block is None:
          return
        item = self._read(*block)
      else:
        item = self._queue.get()
        if item is _DONE:
          return
        if isinstance(item, BaseException):
          raise item
      step, n, batch, self._state = item
      yield step, n, batch

  def data_state(self):
    """The data iterator's state just after the batches handed out so far (for checkpoints)."""
    return self._state

  def close(self) -> None:
    """Stops the prefetch thread (it may be blocked on a full queue)."""
    self._stop.set()
    if self._queue is not None:
      while self._thread.is_alive():
        try:
          self._queue.get(timeout=0.1)
        except queue.Empty:
          pass
