"""What the ``capacity_collapse`` and ``memory_leak`` defects put on the portfolio read path.

Neither exists in the clean service; each is a faithful miniature of a common production bug.

* :class:`SerialWorker` (``capacity_collapse``): every read needs one process-wide worker for
  ``SERIAL_STEP_S`` (1/300 s), the way a pool of one connection, or a lock around a shared
  client, ends up on a hot path. Reads are served one after another in arrival order, so the
  service never answers more than 300 reads per second, however many cores it has, while a read
  at low rates costs only its own step. The worker's timetable is kept in absolute time (each
  read is booked after the one before it and sleeps until its turn has passed) rather than by a
  lock and a sleep per read, so timer slack on a busy event loop never adds up: the ceiling is
  the same on a fast or a loaded machine, and the queue behaves like one server with a fixed
  service time (at 200 reads/s, 2/3 busy: a few ms of queueing; near 300/s, unbounded).
* :class:`AnswerMemo` (``memory_leak``): every read keeps its answer and a scratch buffer
  (``MEMO_BUFFER_BYTES``) in a per-request memo that nothing ever trims. Memory grows by about
  9 KiB per read, whatever the client sends: at 150 reads/s, some 80 MB per minute.
"""

from __future__ import annotations

import asyncio
import itertools

SERIAL_STEP_S = 1 / 300
MEMO_BUFFER_BYTES = 8 * 1024


class SerialWorker:
    """One worker that every read waits for, in arrival order (the ``capacity_collapse`` defect)."""

    def __init__(self, step_s: float = SERIAL_STEP_S) -> None:
        self._step_s = step_s
        self._free_at = 0.0  # loop time at which the worker has finished every booked step

    async def step(self) -> None:
        now = asyncio.get_running_loop().time()
        self._free_at = max(now, self._free_at) + self._step_s
        await asyncio.sleep(self._free_at - now)


class AnswerMemo:
    """Every answer, one entry per request, never evicted (the ``memory_leak`` defect)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[bytes, bytearray]] = {}
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, answer: bytes) -> None:
        self._entries[next(self._sequence)] = (answer, bytearray(MEMO_BUFFER_BYTES))
