"""Errors raised by the Toxiproxy client adapter and the server provider.

Foreign exceptions (httpx, OS errors, subprocess failures) are translated at the
boundary, so check code only ever catches these::

    ChaosError
     ├── ToxiproxyUnreachable      the API did not answer (refused, timed out, not started)
     └── ToxiproxyError            the API answered with an error status
          ├── ToxiproxyBadRequest  400: invalid body, stream, toxic type or attribute
          ├── ToxiproxyNotFound    404: no such proxy or toxic
          └── ToxiproxyConflict    409: proxy or toxic already exists
"""

from __future__ import annotations


class ChaosError(Exception):
    """Base of every error raised by the chaos package."""


class ToxiproxyUnreachable(ChaosError):
    """The Toxiproxy API could not be reached or did not start."""


class ToxiproxyError(ChaosError):
    """The Toxiproxy API answered with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"toxiproxy answered {status}: {message}")
        self.status = status
        self.message = message


class ToxiproxyBadRequest(ToxiproxyError):
    """400: the request was refused as invalid."""


class ToxiproxyNotFound(ToxiproxyError):
    """404: the proxy or toxic does not exist."""


class ToxiproxyConflict(ToxiproxyError):
    """409: a proxy or toxic of that name already exists."""


def error_for_status(status: int, message: str) -> ToxiproxyError:
    """The most specific ``ToxiproxyError`` for an HTTP status."""
    kinds: dict[int, type[ToxiproxyError]] = {
        400: ToxiproxyBadRequest,
        404: ToxiproxyNotFound,
        409: ToxiproxyConflict,
    }
    return kinds.get(status, ToxiproxyError)(status, message)
