"""What the ``capacity_collapse`` and ``memory_leak`` defects put on the portfolio read path.

Neither exists in the clean service; each is a faithful miniature of a common production bug.

* :class:`Throttle` (``capacity_collapse``): every read passes one process-wide throttle that
  admits ``THROTTLE_RATE`` reads per second (250), the way a hot path ends up behind a single
  worker, a pool of one connection, or a quota sized for a test environment. Reads beyond the
  rate are never refused: they wait in line, so above 250 reads/s the backlog, and with it the
  latency, grows without bound while the answered rate stays at 250/s, however many cores the
  service has. Below that rate nothing changes: the throttle lets bursts of up to
  ``THROTTLE_BURST`` reads through at once (load generators fire users in step, so a steady
  200 reads/s arrives as clumps of 10 to 20), and a read costs no more than in the clean
  service: the reference load item (200 reads/s from 40 users) is never delayed, even with every
  user firing in the same instant. A plain worker of one (1/300 s per read, in turn) was tried
  first: its bursts queue (20 reads wait 67 ms), and that load item failed on it. The throttle
  keeps its timetable in absolute time (a generic cell rate algorithm), so timer slack on a busy
  event loop never adds up: the ceiling is the same on a fast or a loaded machine.
* :class:`AnswerMemo` (``memory_leak``): every read keeps its answer and a scratch buffer
  (``MEMO_BUFFER_BYTES``) in a per-request memo that nothing ever trims. Memory grows by about
  8.5 KB per read, whatever the client sends: at 150 reads/s, about 75 MB per minute.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable

THROTTLE_RATE = 250.0  # reads per second
THROTTLE_BURST = 60  # reads let through at once after a quiet spell
MEMO_BUFFER_BYTES = 8 * 1024


class Throttle:
    """At most ``rate`` reads per second, bursts of ``burst``; the rest wait in line (``capacity_collapse``)."""

    def __init__(self, rate: float = THROTTLE_RATE, burst: int = THROTTLE_BURST,
                 clock: Callable[[], float] | None = None) -> None:
        self._interval = 1 / rate
        self._tolerance = burst * self._interval
        self._clock = clock
        self._due = -math.inf  # when every read admitted so far would have been served at exactly ``rate``

    def book(self) -> float:
        """Admit one read: the seconds it must wait for its turn (0 while within the rate and burst)."""
        now = self._clock() if self._clock else asyncio.get_running_loop().time()
        self._due = max(self._due, now) + self._interval
        return max(0.0, self._due - self._tolerance - now)

    async def admit(self) -> None:
        wait = self.book()
        if wait > 0:
            await asyncio.sleep(wait)


class AnswerMemo:
    """Every answer, one entry per request, never evicted (the ``memory_leak`` defect)."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[bytes, bytearray]] = {}
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, answer: bytes) -> None:
        self._entries[next(self._sequence)] = (answer, bytearray(MEMO_BUFFER_BYTES))
