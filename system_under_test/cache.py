"""Portfolio cache: bounded in-process TTL cache by default, Redis when REDIS_URL is set.

A Redis outage degrades the cache rather than the service: reads count as misses, writes are
skipped, /ready reports ``degraded``, and requests are served from upstream. With the
``no_cache_fallback`` defect a Redis error propagates and fails the request.

Each entry lives a little less than CACHE_TTL_S, by a random fraction up to ``TTL_JITTER``:
entries written together (a service start, a burst of new wallets) do not all expire in the
same instant, so refreshes spread out instead of arriving as one wave of misses. No entry
outlives CACHE_TTL_S. Concurrent misses for one key are coalesced above the cache, in
portfolio.py, for every backend.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from readiness_harness.system_under_test.metrics import Metrics

log = logging.getLogger(__name__)

TTL_JITTER = 0.2


def jittered_ttl(ttl_s: float, jitter: float) -> float:
    """A TTL between ``ttl_s * (1 - jitter)`` and ``ttl_s``."""
    return ttl_s * (1 - jitter * random.random())


class Cache(Protocol):
    backend: str

    async def get(self, key: str) -> dict[str, Any] | None: ...
    async def set(self, key: str, value: dict[str, Any]) -> None: ...
    async def status(self) -> dict[str, Any]: ...
    async def close(self) -> None: ...


class MemoryCache:
    backend = "memory"

    def __init__(self, *, ttl_s: float, max_entries: int, jitter: float = TTL_JITTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._jitter = jitter
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    async def get(self, key: str) -> dict[str, Any] | None:
        item = self._entries.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: dict[str, Any]) -> None:
        self._entries[key] = (self._clock() + jittered_ttl(self._ttl_s, self._jitter), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def status(self) -> dict[str, Any]:
        return {"status": "up", "backend": self.backend, "entries": len(self._entries)}

    async def close(self) -> None:
        self._entries.clear()


class RedisCache:
    backend = "redis"

    def __init__(self, url: str, *, ttl_s: float, metrics: Metrics, fail_open: bool = True,
                 jitter: float = TTL_JITTER) -> None:
        # Imported here so that deployments without REDIS_URL do not pay for the import.
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        self._errors: type[Exception] = RedisError
        self._redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=0.25, socket_timeout=0.25, health_check_interval=10)
        self._ttl_s = ttl_s
        self._jitter = jitter
        self._metrics = metrics
        self._fail_open = fail_open
        self._last_error: str | None = None

    def _failed(self, exc: Exception, operation: str) -> None:
        self._metrics.cache_errors.inc()
        self._last_error = f"{operation}: {type(exc).__name__}"
        log.warning("cache backend error; serving without cache", extra={"operation": operation,
                                                                         "error": type(exc).__name__})
        if not self._fail_open:
            raise exc

    async def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = await self._redis.get(key)
        except self._errors as exc:
            self._failed(exc, "get")
            return None
        self._last_error = None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: dict[str, Any]) -> None:
        try:
            ttl_ms = max(1, int(jittered_ttl(self._ttl_s, self._jitter) * 1000))
            await self._redis.set(key, json.dumps(value), px=ttl_ms)
        except self._errors as exc:
            self._failed(exc, "set")

    async def status(self) -> dict[str, Any]:
        try:
            await self._redis.ping()
        except self._errors as exc:
            if not self._fail_open:
                return {"status": "down", "backend": self.backend, "error": type(exc).__name__}
            return {"status": "degraded", "backend": self.backend, "error": type(exc).__name__,
                    "impact": "serving from upstream without cache"}
        return {"status": "up", "backend": self.backend}

    async def close(self) -> None:
        await self._redis.aclose()


class NullCache:
    """No caching at all (the ``no_cache`` defect)."""

    backend = "disabled"

    async def get(self, key: str) -> dict[str, Any] | None:
        return None

    async def set(self, key: str, value: dict[str, Any]) -> None:
        return None

    async def status(self) -> dict[str, Any]:
        return {"status": "up", "backend": self.backend}

    async def close(self) -> None:
        return None
