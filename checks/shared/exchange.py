"""One HTTP request described in a checklist, sent to the target and kept as evidence.

The answer is read while the request body is still being sent (``transport.py``: an early 413
followed by a reset is an answer, not an error), and its body is read up to ``max_response_bytes``
decompressed bytes (``body.py``); past the cap the rest is not read, and the evidence says so.
Whatever comes from the target is made safe where it becomes evidence: secrets redacted, control
characters escaped, JSON values free of lone surrogates.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.body import ACCEPT_ENCODING, DEFAULT_LIMIT, MIB, Body, read_body
from readiness_harness.checks.shared.transport import open_response
from readiness_harness.checks.shared.variables import fresh
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import HttpExchange
from readiness_harness.contract.redaction import BODY_LIMIT, redact_headers, redact_text
from readiness_harness.contract.safetext import printable, serialisable

REQUEST_BODY_LIMIT = 1000
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)
_UNPARSED = object()


class RequestSpec(BaseModel):
    """method, path, headers, query, json or body (or ``body_size`` bytes of filler)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    method: str = Field(default="GET", description="HTTP method: GET, POST, PUT, DELETE, ...")
    path: str = Field(default="/", description="path on the target (placeholders allowed), or a full URL")
    headers: dict[str, str] = Field(default_factory=dict,
                                    description="request headers (placeholders allowed, e.g. {secret.api_key})")
    query: dict[str, str | int | float | bool] = Field(default_factory=dict, description="query string parameters")
    json_body: Any = Field(default=None, alias="json",
                           description="a JSON body (sent with Content-Type application/json)")
    body: str | None = Field(default=None, description="a raw text body (instead of json)")
    body_size: int | None = Field(default=None, ge=0, le=64 * MIB,
                                  description="send a JSON body padded to this many bytes (for size limits)")
    max_response_bytes: int = Field(default=DEFAULT_LIMIT, ge=1024, le=1024 * MIB,
                                    description="read at most this many bytes of the (decompressed) response "
                                                "body; the rest is not read and the item's message says so")


@dataclass(frozen=True)
class Answer:
    """A response as checks see it: status, headers, and the body as far as it was read."""

    status_code: int
    headers: httpx.Headers
    body: Body

    @cached_property
    def text(self) -> str:
        return self.body.data.decode(_charset(self.headers), errors="replace")


@dataclass
class Exchange:
    response: Answer | None
    evidence: HttpExchange
    elapsed_ms: float
    error: str | None = None
    _json: Any = field(default=_UNPARSED, repr=False, compare=False)

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    @property
    def cut(self) -> bool:
        """The body is longer than ``max_response_bytes``: only its start was read."""
        return self.response is not None and self.response.body.cut

    def json(self) -> Any:
        """The body as JSON (lone surrogates written as escapes), or None when it is not JSON."""
        if self._json is _UNPARSED:
            self._json = None
            if self.response is not None:
                with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError, RecursionError):
                    self._json = serialisable(json.loads(self.response.body.data))
        return self._json

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""


def _charset(headers: httpx.Headers) -> str:
    found = _CHARSET.search(headers.get("content-type", ""))
    if found:
        try:
            return codecs.lookup(found.group(1)).name
        except LookupError:
            pass
    return "utf-8"


def build_request(client: httpx.AsyncClient, spec: RequestSpec, ctx: CheckContext) -> httpx.Request:
    fields = spec.model_dump(by_alias=True, include=set(RequestSpec.model_fields))
    spec = RequestSpec.model_validate(fresh(ctx.expand(fields)))
    content: bytes | str | None = spec.body
    if spec.body_size is not None:
        content = b'{"padding": "' + b"x" * spec.body_size + b'"}'
    headers = dict(spec.headers)
    if not any(name.lower() == "accept-encoding" for name in headers):
        headers["Accept-Encoding"] = ACCEPT_ENCODING  # only encodings whose decompressed size can be capped
    return client.build_request(
        spec.method.upper(), spec.path, headers=headers, params=spec.query or None,
        json=spec.json_body if content is None else None, content=content,
    )


async def send(client: httpx.AsyncClient, spec: RequestSpec, ctx: CheckContext, *, keep: int | None = None
               ) -> Exchange:
    """Send the request; transport errors are kept as evidence instead of raised. Of the body read (up
    to ``spec.max_response_bytes``), the first ``keep`` bytes are kept (default: all of it)."""
    request = build_request(client, spec, ctx)
    started = time.perf_counter()
    answer, error = None, None
    try:
        response = await open_response(client, request)
        try:
            body = await read_body(response, limit=spec.max_response_bytes, keep=keep)
        except httpx.HTTPError as exc:
            raise type(exc)(f"{exc} (after the response head: status {response.status_code})") from exc
        finally:
            await response.aclose()
        answer = Answer(response.status_code, response.headers, body)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    return Exchange(answer, exchange_evidence(request, answer, elapsed, error, ctx.secret_values), elapsed, error)


def exchange_evidence(
    request: httpx.Request, answer: Answer | None, elapsed_ms: float, error: str | None, secrets: set[str],
) -> HttpExchange:
    sent = request.content if request.content else b""
    return HttpExchange(
        method=request.method,
        url=redact_text(str(request.url), secrets),
        request_headers=redact_headers(dict(request.headers), secrets),
        request_body=_shown(sent, "utf-8", REQUEST_BODY_LIMIT, secrets) if sent else None,
        status=answer.status_code if answer is not None else None,
        response_headers=redact_headers(dict(answer.headers), secrets) if answer is not None else {},
        response_body=_response_body(answer, secrets) if answer is not None else None,
        elapsed_ms=round(elapsed_ms, 2),
        error=redact_text(error, secrets) if error else None,
    )


def _response_body(answer: Answer, secrets: set[str]) -> str:
    shown = _shown(answer.body.data, _charset(answer.headers), BODY_LIMIT, secrets, total=answer.body.size)
    note = answer.body.note()
    return f"{shown}\n[{note}]" if note else shown


def _shown(data: bytes, charset: str, limit: int, secrets: set[str], *, total: int | None = None) -> str:
    """The start of a body as text for a report: redacted (before it is cut, so no secret is cut in
    half), control characters escaped, then cut at ``limit`` characters with a note of the rest."""
    total = len(data) if total is None else total
    head = data[: (limit + 512) * 4]  # enough bytes for limit characters, and a secret across the cut
    text = printable(redact_text(head.decode(charset, errors="replace"), secrets))
    if len(text) <= limit and total <= len(head):
        return text
    if total <= len(head):
        return f"{text[:limit]}\n… [{len(text) - limit} more characters cut]"
    return f"{text[:limit]}\n… [cut: {total} bytes in all]"
