"""Idempotency keys kept in process memory: the ``idempotency_in_memory`` defect.

The clean service keeps each key with its order in the database (routes/orders.py), so a replay
is recognised whatever happened to the process in between. Under this defect the order is
stored without its key and the key lives only in a dict of this process. Within one process
life nothing looks wrong: a replay gets the stored answer, and concurrent requests with one key
wait for the first of them (exactly one order). After a restart the dict is empty, and a replay
of a request the client never saw answered creates a second order.
"""

from __future__ import annotations

import asyncio

from readiness_harness.system_under_test.db import StoredResponse

Slot = tuple[str, str]  # (client id, idempotency key)


class MemoryKeys:
    def __init__(self) -> None:
        self._answers: dict[Slot, StoredResponse] = {}
        self._claims: dict[Slot, asyncio.Future[None]] = {}

    async def claim(self, client_id: str, key: str) -> StoredResponse | None:
        """The stored answer for the key, or None: then the caller owns the key until :meth:`settle`."""
        slot = (client_id, key)
        while True:
            answer = self._answers.get(slot)
            if answer is not None:
                return answer
            pending = self._claims.get(slot)
            if pending is None:
                self._claims[slot] = asyncio.get_running_loop().create_future()
                return None
            await asyncio.shield(pending)  # the owner settled: look again

    def settle(self, client_id: str, key: str, answer: StoredResponse | None) -> None:
        """Store the owner's answer (None when it failed) and wake the requests waiting for it."""
        slot = (client_id, key)
        if answer is not None:
            self._answers[slot] = answer
        pending = self._claims.pop(slot, None)
        if pending is not None and not pending.done():
            pending.set_result(None)
