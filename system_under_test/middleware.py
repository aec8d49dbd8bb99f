"""ASGI middleware: request context (id, headers, log line, metrics, last-resort 500) and body limit.

Pure ASGI rather than BaseHTTPMiddleware, so streaming bodies are not buffered and the request
id set here is visible to every handler through ``request.state`` and the logging context.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from readiness_harness.system_under_test.defects import Defects
from readiness_harness.system_under_test.errors import PayloadTooLarge, error_json, internal_error_response
from readiness_harness.system_under_test.logs import request_id_var
from readiness_harness.system_under_test.metrics import Metrics
from readiness_harness.system_under_test.security import API_CSP, API_KEY_HEADER, DOCS_CSP, SECURITY_HEADERS
from readiness_harness.system_under_test.serving import RECEIVED_AT

access_log = logging.getLogger("wallet_api.access")
error_log = logging.getLogger("wallet_api.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_DOCS_PATHS = ("/docs", "/redoc")


def accept_request_id(candidate: str | None) -> str:
    """Keep a well-formed incoming id (so traces join up); otherwise generate one."""
    if candidate and _REQUEST_ID.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, defects: Defects) -> None:
        self.app = app
        self.metrics = metrics
        self.defects = defects

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        started = state.get(RECEIVED_AT) or time.perf_counter()  # see serving.py
        headers = Headers(scope=scope)
        request_id = None
        if "no_request_id" not in self.defects:
            request_id = accept_request_id(headers.get(REQUEST_ID_HEADER))
        state["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = {"code": 500, "started": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                self._decorate(scope, MutableHeaders(scope=message), message["status"], request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            error_log.exception("unhandled exception", extra={"path_template": route_label(scope)})
            if status["started"]:
                raise
            response = internal_error_response(request_id, exc, leaky="leaky_errors" in self.defects)
            await response(scope, receive, send_wrapper)
        finally:
            self._record(scope, headers, int(status["code"]), time.perf_counter() - started)
            request_id_var.reset(token)

    def _decorate(self, scope: Scope, headers: MutableHeaders, status: int, request_id: str | None) -> None:
        if request_id is not None:
            headers[REQUEST_ID_HEADER] = request_id
        if "no_security_headers" not in self.defects:
            for name, value in SECURITY_HEADERS:
                headers.setdefault(name, value)
            path = scope.get("path", "")
            headers.setdefault("Content-Security-Policy", DOCS_CSP if path.startswith(_DOCS_PATHS) else API_CSP)
            headers.setdefault("Cache-Control", "no-store")
        rate_limit = scope.get("state", {}).get("rate_limit_headers")
        if rate_limit:
            for name, value in rate_limit.items():
                headers.setdefault(name, value)
        if "no_retry_after" in self.defects and status in (429, 503) and "retry-after" in headers:
            del headers["retry-after"]

    def _record(self, scope: Scope, headers: Headers, status: int, elapsed_s: float) -> None:
        route = route_label(scope)
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        self.metrics.http_requests.labels(route, method, str(status)).inc()
        self.metrics.http_duration.labels(route, method).observe(elapsed_s)
        fields: dict[str, Any] = {
            "method": method, "route": route, "status": status, "latency_ms": round(elapsed_s * 1000, 2),
            "client_ip": (scope.get("client") or ("-",))[0],
        }
        client = scope.get("state", {}).get("client")
        if client is not None:
            fields["client"] = client.key_id  # a digest prefix; the key itself is never logged
        if "plaintext_keys" in self.defects and headers.get(API_KEY_HEADER):
            fields["api_key"] = headers.get(API_KEY_HEADER)
        access_log.info("request", extra=fields)


class BodyLimitMiddleware:
    """413 for bodies over the limit: by Content-Length up front, and by counting streamed bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            error = PayloadTooLarge(self.max_bytes)
            request_id = scope.get("state", {}).get("request_id")
            response = error_json(413, error.code, error.message, request_id, details=error.details,
                                  headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)
