"""A per-provider circuit breaker.

closed ──N consecutive failures──▶ open ──reset timeout──▶ half-open ──probe ok──▶ closed
                                     ▲                         │
                                     └──────probe failed───────┘

In half-open one probe call is let through at a time; everything else is rejected fast.
The clock is a constructor parameter so tests can drive time without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"

    @property
    def gauge_value(self) -> float:
        return {"closed": 0.0, "half_open": 1.0, "open": 2.0}[self.value]


class CircuitBreaker:
    def __init__(
        self,
        *,
        failure_threshold: int,
        reset_timeout_s: float,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_timeout_s = reset_timeout_s
        self.enabled = enabled
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False

    @property
    def state(self) -> CircuitState:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at >= self.reset_timeout_s:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def allow(self) -> bool:
        """Whether a call may go out now (claims the probe slot when half-open)."""
        with self._lock:
            state = self._state_locked()
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.HALF_OPEN and not self._probe_in_flight:
                self._probe_in_flight = True
                return True
            return False

    def retry_after_s(self) -> float:
        """Seconds until the circuit lets a probe through (0 when closed)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.reset_timeout_s - (self._clock() - self._opened_at))

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._probe_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            if not self.enabled:
                return
            if self._opened_at is not None:  # a half-open probe failed: open again
                self._opened_at = self._clock()
                self._probe_in_flight = False
                return
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._opened_at = self._clock()

    def release_probe(self) -> None:
        """Give back the half-open probe slot when the call ended without a verdict."""
        with self._lock:
            self._probe_in_flight = False
