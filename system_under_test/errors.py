"""Error codes, the single error body shape, and the exception handlers that produce it.

Exception tree::

    ApiError (an HTTPException: FastAPI re-raises it from body parsing untouched)
    ├── raised by routes and dependencies with a code, status, message, details
    ├── PayloadTooLarge (raised while the body streams in)
    └── DatabaseUnavailable (503 with Retry-After; translated from SQLAlchemy in dbcalls.py)

Every error response, whatever produced it (routing 404/405, validation 422, limits 413/429,
upstream or database 503, unexpected 500), has the body ``{"error": {code, message, request_id, details}}``.
Unexpected exceptions are rendered by :func:`internal_error_response`: the client gets the
code INTERNAL and the request id; the traceback goes to the log only.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, cast

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ErrorCode(StrEnum):
    VALIDATION_ERROR = "VALIDATION_ERROR"
    INVALID_ADDRESS = "INVALID_ADDRESS"
    UNSUPPORTED_CHAIN = "UNSUPPORTED_CHAIN"
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    IDEMPOTENCY_KEY_MISSING = "IDEMPOTENCY_KEY_MISSING"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"
    CIRCUIT_OPEN = "CIRCUIT_OPEN"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    BAD_REQUEST = "BAD_REQUEST"
    INTERNAL = "INTERNAL"


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str
    request_id: str | None
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries pointing error statuses at ErrorResponse."""
    return {status: {"model": ErrorResponse} for status in statuses}


class ApiError(StarletteHTTPException):
    """An expected failure with a stable error code."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.details = details


class PayloadTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, ErrorCode.PAYLOAD_TOO_LARGE, f"request body exceeds {limit} bytes",
                         details={"limit_bytes": limit})


class DatabaseUnavailable(ApiError):
    """The database could not serve the request: unreachable, too slow, or no free connection."""

    def __init__(self, cause: str, *, retry_after_s: int) -> None:
        super().__init__(503, ErrorCode.DATABASE_UNAVAILABLE, "the database is unavailable; retry later",
                         details={"cause": cause, "retry_after_s": retry_after_s},
                         headers={"Retry-After": str(retry_after_s)})
        self.cause = cause


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_json(
    status: int, code: ErrorCode, message: str, request_id: str | None, *,
    details: Any = None, headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, request_id=request_id, details=details))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


async def api_error_handler(request: Request, exc: Exception) -> JSONResponse:
    error = cast(ApiError, exc)  # registered for ApiError only
    return error_json(error.status_code, error.code, error.message, request_id_of(request),
                      details=error.details, headers=error.headers)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Routing errors (404, 405) and any plain HTTPException, in the common shape."""
    error = cast(StarletteHTTPException, exc)
    code = _STATUS_CODES.get(error.status_code, ErrorCode.INTERNAL)
    message = error.detail if isinstance(error.detail, str) else code.value.lower()
    return error_json(error.status_code, code, message, request_id_of(request), headers=error.headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    errors = cast(RequestValidationError, exc).errors()
    details = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in errors
    ]
    return error_json(422, ErrorCode.VALIDATION_ERROR, "request validation failed",
                      request_id_of(request), details=details)


def internal_error_response(request_id: str | None, exc: BaseException, *, leaky: bool) -> JSONResponse:
    """The generic 500. With the leaky_errors defect it carries the exception and traceback."""
    if leaky:
        trace = "".join(traceback.format_exception(exc))
        return error_json(500, ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}", request_id,
                          details={"traceback": trace})
    return error_json(500, ErrorCode.INTERNAL, "internal error; quote the request id when reporting it",
                      request_id)
