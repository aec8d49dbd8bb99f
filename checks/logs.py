"""The ``logs`` check type: drive requests, then read what the service logged about them."""

from __future__ import annotations

import asyncio
import json
import secrets
import time

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.exchange import RequestSpec, send
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import LogExcerpt, Observation
from readiness_harness.contract.redaction import redact_text
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class LogExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    json_lines: bool = Field(default=True, description="every new line is one JSON object")
    keys: list[str] = Field(default_factory=list, description="keys every request line carries")
    request_id_logged: bool = Field(default=True, description="the X-Request-ID sent appears in the log")
    must_not_contain: list[str] = Field(default_factory=list, description="texts (placeholders allowed) never logged")


class LogsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str = Field(default="api",
                         description="the target's process whose log is read (a name from the target file)")
    requests: list[RequestSpec] = Field(min_length=1, description="requests sent, each with a fresh X-Request-ID")
    expect: LogExpect = Field(default_factory=LogExpect, description="what the log lines must look like")
    settle_s: float = Field(default=2.0, gt=0, le=30, description="how long to wait for the lines to be written")


async def run_logs(params: LogsParams, ctx: CheckContext) -> Result:
    """Send requests with known request ids and check the service's log lines about them."""
    process = ctx.target.process(params.process)
    offset = process.log_size()
    ids = [f"audit-{secrets.token_hex(8)}" for _ in params.requests]
    async with ctx.client() as client:
        for request_id, request in zip(ids, params.requests, strict=True):
            tagged = request.model_copy(update={"headers": {**request.headers, "X-Request-ID": request_id}})
            await send(client, tagged, ctx)
    lines = await _lines_mentioning(process, offset, ids, params.settle_s)
    observations = _observe(params.expect, lines, ids, ctx, logged_secrets=process.redacted_since(offset))
    excerpt = LogExcerpt(title=f"{params.process} log lines written during the check",
                         lines=[redact_text(line, ctx.secret_values)[:400] for line in lines[-20:]])
    return Result.from_observations(observations, excerpt, ok_message=f"{len(lines)} log lines as expected")


async def _lines_mentioning(process, offset: int, ids: list[str], settle_s: float) -> list[str]:
    deadline = time.monotonic() + settle_s
    while True:
        lines = [line for line in process.log_since(offset) if line.strip()]
        if all(any(i in line for line in lines) for i in ids) or time.monotonic() >= deadline:
            return lines
        await asyncio.sleep(0.05)


def _observe(expect: LogExpect, lines: list[str], ids: list[str], ctx: CheckContext, *,
             logged_secrets: set[str]) -> list[Observation]:
    out = [Observation(label="log lines written", observed=len(lines), expected=">= 1", ok=bool(lines))]
    parsed = [_as_json(line) for line in lines]
    if expect.json_lines:
        bad = [line for line, doc in zip(lines, parsed, strict=True) if doc is None]
        good = f"{len(lines) - len(bad)} of {len(lines)}"
        out.append(Observation(label="lines that are one JSON object", observed=good,
                               expected="all", ok=not bad and bool(lines)))
    request_lines = [doc for doc in parsed if doc is not None and any(i in json.dumps(doc) for i in ids)]
    if expect.request_id_logged:
        seen = sum(any(i in json.dumps(doc) for doc in request_lines) for i in ids)
        out.append(Observation(label="request ids found in the log", observed=f"{seen} of {len(ids)}",
                               expected="all", ok=seen == len(ids)))
    for key in expect.keys:
        missing = sum(1 for doc in request_lines if key not in doc)
        out.append(Observation(label=f"key '{key}' on request lines", observed=f"missing on {missing}",
                               expected="on every request line", ok=missing == 0 and bool(request_lines)))
    text = "\n".join(lines)
    for needle in expect.must_not_contain:
        value = ctx.expand(needle)
        redacted = value in logged_secrets  # a secret is logged as [REDACTED]; the log pump saw it
        found = value in text or redacted
        shown = needle if value == needle else f"{needle} (its value)"
        observed = "found (written to the log as [REDACTED])" if redacted else "found" if found else "absent"
        out.append(Observation(label=f"log does not contain {shown}", observed=observed, expected="absent",
                               ok=not found))
    return out


def _as_json(line: str) -> dict | None:
    try:
        doc = json.loads(line)
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def crossref(params: LogsParams, ctx: CrossrefContext) -> list[Finding]:
    """The process whose log is read must be one the target file starts."""
    return ctx.process_missing(params.process, ("process",))


EXAMPLE = """\
type: logs
process: api
requests:
  - {path: /health}
  - {path: /v1/orders/42, headers: {Authorization: "Bearer {secret.api_token}"}}
expect:
  json_lines: true
  keys: [timestamp, level, request_id]
  must_not_contain: ["{secret.api_token}"]
"""


def register(registry: Registry) -> None:
    registry.register("logs", LogsParams, example=EXAMPLE, crossref=crossref)(run_logs)
