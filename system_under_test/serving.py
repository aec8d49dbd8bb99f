"""The HTTP protocol the service runs under uvicorn: h11, stamping when each request arrived.

Request latency (``http_request_duration_seconds`` and the access log's ``latency_ms``) is
measured from the moment the server parsed the request head, not from the moment the
application began to handle it. Under a burst, requests wait in the event loop's queue before
any middleware runs; a clock started in middleware misses that wait, which clients do see, and
the service's own p95 would then disagree with its clients' by the length of the queue.
"""

from __future__ import annotations

import time

from uvicorn.protocols.http.h11_impl import H11Protocol

RECEIVED_AT = "received_at"  # key in scope["state"]: time.perf_counter() when the request head was parsed


class TimedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, recording ``scope["state"]["received_at"]`` for each request."""

    def handle_events(self) -> None:
        received = time.perf_counter()
        previous = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not previous:
            self.cycle.scope["state"][RECEIVED_AT] = received
