"""Token-bucket rate limiting, per API key (by tier) and per client IP.

A bucket holds up to ``burst`` tokens and refills at ``rate`` tokens per second. Buckets are
kept in a bounded LRU map so that many distinct clients cannot grow memory without limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    rate: float  # tokens per second
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int  # seconds until the bucket is full again
    retry_after_s: int  # seconds until one token is available (0 when allowed)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_s),
        }


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class RateLimiter:
    def __init__(self, *, max_buckets: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._max_buckets = max_buckets
        self._clock = clock
        self._lock = threading.Lock()

    def hit(self, key: str, limit: Limit) -> Decision:
        """Take one token from the bucket for ``key``."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(float(limit.burst), now)
                self._buckets[key] = bucket
                if len(self._buckets) > self._max_buckets:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket.tokens = min(limit.burst, bucket.tokens + (now - bucket.updated) * limit.rate)
                bucket.updated = now
            allowed = bucket.tokens >= 1.0
            if allowed:
                bucket.tokens -= 1.0
            tokens = bucket.tokens
        reset = math.ceil((limit.burst - tokens) / limit.rate)
        retry_after = 0 if allowed else max(1, math.ceil((1.0 - tokens) / limit.rate))
        return Decision(allowed, limit.burst, int(tokens), reset, retry_after)
