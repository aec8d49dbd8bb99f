"""Request coalescing ("single flight"): concurrent callers for one key share one piece of work.

The first caller for a key (the leader) starts the work as a task of its own; callers that
arrive while it runs (waiters) await the same task instead of starting another one. When the
task ends, its result or its exception goes to every caller, and the key is free again: the
next caller starts new work. Coalescing is per process and per event loop; it is independent of
the cache backend, so it works the same in front of the in-process cache and Redis.

The work runs in its own task, so a caller that goes away (a client disconnect cancels its
request) cancels neither the work nor the other callers: each caller awaits it through
``asyncio.shield``. The task inherits the leader's context (its request id, for logs and the
upstream call).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Flight(Generic[T]):
    """One caller's place on a flight: the shared task, and whether the caller joined it."""

    task: asyncio.Task[T]
    shared: bool  # False for the leader, which started the work

    async def wait(self) -> T:
        return await asyncio.shield(self.task)


class SingleFlight(Generic[T]):
    def __init__(self) -> None:
        self._inflight: dict[str, asyncio.Task[T]] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._inflight

    def __len__(self) -> int:
        return len(self._inflight)

    def board(self, key: str, work: Callable[[], Coroutine[Any, Any, T]]) -> Flight[T]:
        """Join the work in flight for ``key``, or start ``work()`` for it (without waiting)."""
        task = self._inflight.get(key)
        if task is not None:
            return Flight(task, shared=True)
        task = asyncio.create_task(work(), name=f"single-flight {key}")
        self._inflight[key] = task
        task.add_done_callback(lambda done: self._landed(key, done))
        return Flight(task, shared=False)

    async def do(self, key: str, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``work()`` for ``key``, or join the run already in flight for it, and return its value."""
        return await self.board(key, work).wait()

    def _landed(self, key: str, task: asyncio.Task[T]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every caller went away before it ended
