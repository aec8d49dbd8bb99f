"""A small open-model load generator for tests of the reference service (loopback only).

Requests are sent at a fixed rate whatever the answers do (open model): request ``i`` is due at
``start + i / rate`` and its latency is measured from that moment, so time spent waiting for a
free connection counts (no coordinated omission). Every run is bounded in requests and in time.
It speaks just enough HTTP/1.1 (keep-alive GETs, Content-Length bodies) to stay cheap on the
CPU, which the service under test shares.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_CONNECTIONS = 256
READ_TIMEOUT_S = 5.0
IDLE_REUSE_S = 2.0  # servers close idle keep-alive connections (uvicorn after 5 s): never reuse a stale one


@dataclass(frozen=True)
class Step:
    """What one constant-rate run measured."""

    rate: float
    sent: int
    ok: int
    errors: int
    duration_s: float
    latencies_ms: tuple[float, ...] = field(repr=False)
    max_lag_ms: float  # how late the generator itself dispatched a request
    error_kinds: tuple[tuple[str, int], ...] = ()  # (status or exception name, count)

    @property
    def achieved(self) -> float:
        return self.ok / self.duration_s if self.duration_s else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.sent if self.sent else 1.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return math.inf
        return ordered[min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1)]

    def summary(self) -> str:
        return (f"rate {self.rate:6.0f}/s achieved {self.achieved:6.0f}/s p50 {self.percentile(50):7.1f} ms "
                f"p95 {self.percentile(95):7.1f} ms p99 {self.percentile(99):7.1f} ms errors {self.errors}/{self.sent}"
                f" lag {self.max_lag_ms:.0f} ms" + (f" {dict(self.error_kinds)}" if self.error_kinds else ""))


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = time.monotonic()

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        self.used = time.monotonic()
        return status

    def close(self) -> None:
        self.writer.close()


class OpenLoad:
    """GETs against ``host:port`` at a fixed rate; ``paths(i)`` gives the i-th request's path."""

    def __init__(self, port: int, headers: dict[str, str], paths: Callable[[int], str], *,
                 host: str = "127.0.0.1", max_connections: int = MAX_CONNECTIONS) -> None:
        self._host, self._port = host, port
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._paths = paths
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)

    def _request(self, i: int) -> bytes:
        return f"GET {self._paths(i)} HTTP/1.1\r\nHost: {self._host}\r\n{self._headers}\r\n".encode()

    async def _one(self, i: int, due: float, latencies: list[float], errors: Counter[str]) -> None:
        async with self._slots:
            connection = self._idle.pop() if self._idle else None
            if connection is not None and time.monotonic() - connection.used > IDLE_REUSE_S:
                connection.close()
                connection = None
            try:
                if connection is None:
                    connection = _Connection(*await asyncio.open_connection(self._host, self._port))
                status = await asyncio.wait_for(connection.get(self._request(i)), READ_TIMEOUT_S)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError,
                    asyncio.CancelledError) as exc:
                if connection is not None:
                    connection.close()
                if isinstance(exc, asyncio.CancelledError):
                    raise
                errors[type(exc).__name__] += 1
                return
            self._idle.append(connection)
        if status == 200:
            latencies.append((time.perf_counter() - due) * 1000)
        else:
            errors[str(status)] += 1

    async def run(self, rate: float, duration_s: float, *, first: int = 0) -> Step:
        """Send ``rate * duration_s`` requests (bounded), then wait for them (bounded too)."""
        total = max(1, int(rate * duration_s))
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        tasks = []
        max_lag = 0.0
        start = time.perf_counter()
        for n in range(total):
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            max_lag = max(max_lag, time.perf_counter() - due)
            tasks.append(asyncio.ensure_future(self._one(first + n, due, latencies, errors)))
        _, pending = await asyncio.wait(tasks, timeout=READ_TIMEOUT_S + 1)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        elapsed = time.perf_counter() - start
        ok = len(latencies)
        if total - ok > sum(errors.values()):
            errors["unanswered"] += total - ok - sum(errors.values())
        return Step(rate, total, ok, total - ok, elapsed, tuple(latencies), max_lag * 1000,
                    tuple(sorted(errors.items())))

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()
