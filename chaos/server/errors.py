"""Errors of the control API, with the exact messages Toxiproxy v2 answers.

Every handler raises ``ApiError``; the HTTP layer renders it as
``{"error": "<message>", "status": <code>}`` with ``<code>`` as the HTTP status.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered to the API client with a status code and a message."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "status": self.status}


def missing_field(field: str) -> ApiError:
    return ApiError(f"missing required field: {field}", 400)


def bad_body(detail: str) -> ApiError:
    return ApiError(f"bad request body: {detail}", 400)


def invalid_stream() -> ApiError:
    return ApiError("stream was invalid, can be either upstream or downstream", 400)


def invalid_toxic_type() -> ApiError:
    return ApiError("invalid toxic type", 400)


def proxy_not_found() -> ApiError:
    return ApiError("proxy not found", 404)


def toxic_not_found() -> ApiError:
    return ApiError("toxic not found", 404)


def proxy_exists() -> ApiError:
    return ApiError("proxy already exists", 409)


def toxic_exists() -> ApiError:
    return ApiError("toxic already exists", 409)


def internal(message: str) -> ApiError:
    return ApiError(message, 500)
