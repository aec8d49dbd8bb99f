"""One direction of one proxied connection: source socket -> toxic chain -> dest socket.

With no toxic applying, ``feed`` writes each chunk straight to the destination (the
fast path: one call per chunk, nothing queued). Otherwise each chunk goes through the
chain of effects, which stamps it with the loop time it may leave; the link keeps a
time-ordered output queue and a single timer for its head. The chain follows the
proxy's toxics while the connection is open: ``set_toxics`` is called at every change,
new toxics join the end of the chain, removed ones leave it (a timeout toxic closes the
connection it held), updated ones keep their state.

Flow control: reading from the source pauses while the destination's buffer is full or
more than ``HIGH_WATER`` bytes wait in the queue, and resumes below ``LOW_WATER``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from readiness_harness.chaos.server.effects import CLOSE, DATA, RESET, Effect, make_effect
from readiness_harness.chaos.server.toxics import Toxic

HIGH_WATER = 1 << 20
LOW_WATER = 1 << 18
# The loop's timers wake up to 1 ms late (epoll rounds its timeout up to whole ms), so the
# head's timer is armed _ARM_AHEAD early and a chunk is released once within _EARLY of its
# time: releases land in [t - 0.2 ms, t + 0.6 ms] instead of [t, t + 1 ms].
_EARLY = 0.0002
_ARM_AHEAD = 0.0004


@dataclass
class _Slot:
    toxic: Toxic
    effect: Effect | None  # None: the toxicity roll decided the toxic skips this link


class Link:
    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        source: asyncio.Transport,
        dest: asyncio.Transport,
        toxics: Sequence[Toxic] = (),
    ) -> None:
        self.loop = loop
        self._source = source
        self._dest = dest
        self._slots: dict[str, _Slot] = {}
        self._chain: list[Effect] = []
        self._out: deque[tuple[float, int, bytes]] = deque()
        self._queued = 0
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._dest_paused = False
        self._reading_paused = False
        self._eof = False
        self._done = False
        self._fast = True
        self.set_toxics(toxics)

    # -- input -------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        if self._fast:
            self._dest.write(data)
        elif not self._done:
            self._run(0, self.loop.time(), DATA, data)

    def feed_eof(self) -> None:
        if self._eof or self._done:
            return
        self._eof = True
        self._run(0, self.loop.time(), CLOSE, b"")

    def inject(self, effect: Effect, kind: int) -> None:
        """An effect acts on its own (a timer fired): run the rest of the chain from it."""
        if not self._done and effect in self._chain:
            self._run(self._chain.index(effect) + 1, self.loop.time(), kind, b"")

    def _run(self, index: int, t: float, kind: int, payload: bytes) -> None:
        if index >= len(self._chain):
            self._deliver(t, kind, payload)
            return
        effect = self._chain[index]

        def emit(t2: float, kind2: int, payload2: bytes) -> None:
            self._run(index + 1, t2, kind2, payload2)

        if kind == DATA:
            effect.on_data(t, payload, emit)
        elif kind == CLOSE:
            effect.on_close(t, emit)
        else:
            emit(t, kind, payload)

    # -- output ------------------------------------------------------------------------

    def _deliver(self, t: float, kind: int, payload: bytes) -> None:
        if self._done:
            return
        if kind != DATA:
            self._done = True
        self._last = max(t, self._last)
        self._out.append((self._last, kind, payload))
        self._queued += len(payload)
        if self._timer is None:
            self._pump()
        self._refresh()

    def _pump(self) -> None:
        self._timer = None
        now = self.loop.time()
        while self._out and not self._dest_paused:
            t, kind, payload = self._out[0]
            if t > now + _EARLY:
                self._timer = self.loop.call_at(t - _ARM_AHEAD, self._pump)
                break
            self._out.popleft()
            self._queued -= len(payload)
            if kind == DATA:
                self._dest.write(payload)
            else:
                self._terminate(kind)
                return
        self._refresh()

    def _terminate(self, kind: int) -> None:
        self._finish()
        if kind == RESET:
            for transport in (self._dest, self._source):
                _set_linger_zero(transport)
                transport.abort()
        else:
            self._dest.close()

    def _finish(self) -> None:
        self._done = True
        self._fast = False
        self._out.clear()
        self._queued = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for effect in self._chain:
            effect.dispose()

    def dest_lost(self) -> None:
        """The destination socket is gone: nothing more can be delivered."""
        if not self._done:
            self._finish()

    def set_dest_paused(self, paused: bool) -> None:
        self._dest_paused = paused
        if not paused and self._out and self._timer is None:
            self._pump()
        self._refresh()

    def _refresh(self) -> None:
        self._fast = not (self._chain or self._out or self._done or self._eof)
        if self._queued > HIGH_WATER or self._dest_paused:
            pause = True
        elif self._queued <= LOW_WATER:
            pause = False
        else:
            pause = self._reading_paused
        if pause != self._reading_paused and not self._done:
            self._reading_paused = pause
            if pause:
                self._source.pause_reading()
            else:
                self._source.resume_reading()

    # -- toxics ------------------------------------------------------------------------

    def set_toxics(self, toxics: Sequence[Toxic]) -> None:
        """Follow the proxy's current toxics for this link's stream."""
        if self._done:
            return
        wanted = {toxic.name: toxic for toxic in toxics}
        for name in [name for name in self._slots if name not in wanted]:
            self._remove(self._slots.pop(name))
        slots: dict[str, _Slot] = {}
        for toxic in toxics:
            slot = self._slots.get(toxic.name)
            if slot is None:
                slot = self._add(toxic)
            elif slot.toxic is not toxic:
                self._update(slot, toxic)
            slots[toxic.name] = slot
        self._slots = slots
        if not self._done:
            self._chain = [slot.effect for slot in slots.values() if slot.effect is not None]
        self._refresh()

    def _add(self, toxic: Toxic) -> _Slot:
        slot = _Slot(toxic, None)
        if random.random() < toxic.toxicity:
            slot.effect = make_effect(toxic, self)
            self._chain.append(slot.effect)
            slot.effect.activate()
        return slot

    def _update(self, slot: _Slot, toxic: Toxic) -> None:
        slot.toxic = toxic
        applies = random.random() < toxic.toxicity
        if slot.effect is not None and applies:
            slot.effect.update(toxic)
        elif slot.effect is not None:
            slot.effect.dispose()
            self._chain.remove(slot.effect)
            slot.effect = None
        elif applies:
            slot.effect = make_effect(toxic, self)
            self._chain.append(slot.effect)
            slot.effect.activate()

    def _remove(self, slot: _Slot) -> None:
        effect = slot.effect
        if effect is None or effect not in self._chain:
            return
        index = self._chain.index(effect)
        effect.dispose()
        self._chain.pop(index)
        if effect.closes_on_removal and not self._done:
            self._run(index, self.loop.time(), CLOSE, b"")


def _set_linger_zero(transport: asyncio.Transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
