"""One HTTP request described in a checklist, sent to the target and kept as evidence."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.variables import fresh
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import HttpExchange
from readiness_harness.contract.redaction import cut, redact_headers, redact_text


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
    body_size: int | None = Field(default=None, ge=0, le=64 * 1024 * 1024,
                                  description="send a JSON body padded to this many bytes (for size limits)")


@dataclass
class Exchange:
    response: httpx.Response | None
    evidence: HttpExchange
    elapsed_ms: float
    error: str | None = None

    @property
    def status(self) -> int | None:
        return self.response.status_code if self.response is not None else None

    def json(self) -> Any:
        if self.response is None:
            return None
        try:
            return self.response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None

    @property
    def text(self) -> str:
        return self.response.text if self.response is not None else ""


def build_request(client: httpx.AsyncClient, spec: RequestSpec, ctx: CheckContext) -> httpx.Request:
    fields = spec.model_dump(by_alias=True, include=set(RequestSpec.model_fields))
    spec = RequestSpec.model_validate(fresh(ctx.expand(fields)))
    content: bytes | str | None = spec.body
    if spec.body_size is not None:
        content = b'{"padding": "' + b"x" * spec.body_size + b'"}'
    return client.build_request(
        spec.method.upper(), spec.path, headers=spec.headers, params=spec.query or None,
        json=spec.json_body if content is None else None, content=content,
    )


async def send(client: httpx.AsyncClient, spec: RequestSpec, ctx: CheckContext) -> Exchange:
    """Send the request; transport errors are kept as evidence instead of raised."""
    request = build_request(client, spec, ctx)
    started = time.perf_counter()
    try:
        response = await client.send(request)
        await response.aread()
        error = None
    except httpx.HTTPError as exc:
        response, error = None, f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    return Exchange(response, exchange_evidence(request, response, elapsed, error, ctx.secret_values), elapsed, error)


def exchange_evidence(
    request: httpx.Request, response: httpx.Response | None, elapsed_ms: float, error: str | None,
    secrets: set[str],
) -> HttpExchange:
    body = request.content.decode(errors="replace") if request.content else None
    return HttpExchange(
        method=request.method,
        url=redact_text(str(request.url), secrets),
        request_headers=redact_headers(dict(request.headers), secrets),
        request_body=cut(redact_text(body, secrets), 1000) if body else None,
        status=response.status_code if response is not None else None,
        response_headers=redact_headers(dict(response.headers), secrets) if response is not None else {},
        response_body=cut(redact_text(response.text, secrets)) if response is not None else None,
        elapsed_ms=round(elapsed_ms, 2),
        error=error,
    )
