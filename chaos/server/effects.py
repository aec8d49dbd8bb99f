"""What each toxic does to the stream of one link (one connection, one direction).

A link pushes events through its chain of effects: ``DATA`` (a chunk of bytes), ``CLOSE``
(the source ended, or a toxic decided to close) and ``RESET`` (close with TCP RST). Each
effect receives an event with the loop time ``t`` at which it reaches the effect and emits
zero or more events, each with the time it leaves. Delays are therefore computed, not
slept: a latency of 100 ms stamps the chunk 100 ms later and the link's output queue
releases it then, so chunks are pipelined and throughput is not serialised by the delay.
Effects that act on their own (the timeout and reset_peer timers) inject an event into
the rest of the chain through their host, the link.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Protocol

from readiness_harness.chaos.server.toxics import Toxic

DATA, CLOSE, RESET = 0, 1, 2

Emit = Callable[[float, int, bytes], None]


class EffectHost(Protocol):
    loop: asyncio.AbstractEventLoop

    def inject(self, effect: Effect, kind: int) -> None: ...


class Effect:
    """Base behaviour: every event passes unchanged."""

    #: Close the connection when the toxic is removed while it applied (timeout).
    closes_on_removal = False

    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        self.toxic = toxic
        self.host = host

    def update(self, toxic: Toxic) -> None:
        self.toxic = toxic

    def activate(self) -> None:
        """Called once when the effect joins a link's chain."""

    def dispose(self) -> None:
        """Called when the effect leaves the chain or the link ends: cancel timers."""

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        emit(t, DATA, data)

    def on_close(self, t: float, emit: Emit) -> None:
        emit(t, CLOSE, b"")


class Latency(Effect):
    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._last = 0.0

    def _delay(self) -> float:
        latency, jitter = self.toxic.attr("latency"), self.toxic.attr("jitter")
        if jitter > 0:
            latency += random.randint(-jitter, jitter)
        return max(latency, 0) / 1000.0

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        self._last = max(t + self._delay(), self._last)
        emit(self._last, DATA, data)

    def on_close(self, t: float, emit: Emit) -> None:
        emit(max(t, self._last), CLOSE, b"")


class Bandwidth(Effect):
    """Releases each piece when the rate allows; pieces hold at most 100 ms of data."""

    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._free = 0.0

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        rate = self.toxic.attr("rate")
        if rate <= 0:
            emit(t, DATA, data)
            return
        step = rate * 100
        for start in range(0, len(data), step):
            piece = data[start : start + step]
            self._free = max(t, self._free) + len(piece) / (rate * 1000.0)
            emit(self._free, DATA, piece)

    def on_close(self, t: float, emit: Emit) -> None:
        emit(max(t, self._free), CLOSE, b"")


class SlowClose(Effect):
    def on_close(self, t: float, emit: Emit) -> None:
        emit(t + self.toxic.attr("delay") / 1000.0, CLOSE, b"")


class Timeout(Effect):
    """Drops all data; closes ``timeout`` ms after activation or the last chunk (0: never)."""

    closes_on_removal = True

    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._timer: asyncio.TimerHandle | None = None

    def activate(self) -> None:
        self._arm(self.host.loop.time())

    def update(self, toxic: Toxic) -> None:
        super().update(toxic)
        self._arm(self.host.loop.time())

    def _arm(self, t: float) -> None:
        self.dispose()
        timeout = self.toxic.attr("timeout")
        if timeout > 0:
            self._timer = self.host.loop.call_at(t + timeout / 1000.0, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.host.inject(self, CLOSE)

    def dispose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        self._arm(t)


class ResetPeer(Effect):
    """Drops data; ``timeout`` ms after the first event, resets the connection."""

    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._timer: asyncio.TimerHandle | None = None

    def _arm(self, t: float) -> None:
        if self._timer is None:
            when = t + self.toxic.attr("timeout") / 1000.0
            self._timer = self.host.loop.call_at(when, self.host.inject, self, RESET)

    def dispose(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        self._arm(t)

    def on_close(self, t: float, emit: Emit) -> None:
        self._arm(t)


class Slicer(Effect):
    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._next = 0.0

    def _sizes(self, total: int) -> list[int]:
        """Slice sizes average_size +/- size_variation (a negative variation is none), at least 1."""
        average, variation = self.toxic.attr("average_size"), max(self.toxic.attr("size_variation"), 0)
        sizes: list[int] = []
        while total > 0:
            size = max(1, average + random.randint(-variation, variation))
            sizes.append(min(size, total))
            total -= size
        return sizes

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        gap = self.toxic.attr("delay") / 1_000_000.0
        offset = 0
        for size in self._sizes(len(data)):
            at = max(t, self._next)
            emit(at, DATA, data[offset : offset + size])
            offset += size
            self._next = at + gap

    def on_close(self, t: float, emit: Emit) -> None:
        emit(max(t, self._next), CLOSE, b"")


class LimitData(Effect):
    """Forwards up to ``bytes`` bytes (kept across updates), then closes."""

    def __init__(self, toxic: Toxic, host: EffectHost) -> None:
        super().__init__(toxic, host)
        self._sent = 0

    def on_data(self, t: float, data: bytes, emit: Emit) -> None:
        remaining = max(self.toxic.attr("bytes") - self._sent, 0)
        chunk = data[:remaining]
        if chunk:
            self._sent += len(chunk)
            emit(t, DATA, chunk)
        if self.toxic.attr("bytes") - self._sent <= 0:
            emit(t, CLOSE, b"")


EFFECTS: dict[str, type[Effect]] = {
    "latency": Latency,
    "bandwidth": Bandwidth,
    "slow_close": SlowClose,
    "timeout": Timeout,
    "reset_peer": ResetPeer,
    "slicer": Slicer,
    "limit_data": LimitData,
}


def make_effect(toxic: Toxic, host: EffectHost) -> Effect:
    return EFFECTS[toxic.type](toxic, host)
