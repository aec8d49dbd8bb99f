"""The ``burst`` check type: many requests at once, counted by status (rate limits, overload)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.exchange import Exchange, RequestSpec, send
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class BurstExpect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_status_count: dict[int, int] = Field(default_factory=dict, description="status -> at least this many")
    max_status_count: dict[int, int] = Field(default_factory=dict, description="status -> at most this many")
    headers_on_status: dict[int, list[str]] = Field(default_factory=dict,
                                                    description="every response with the status has these headers")
    headers_on_all: list[str] = Field(default_factory=list, description="headers every answered response must carry")


class BurstParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: RequestSpec = Field(description="the request sent count times")
    count: int = Field(ge=1, le=5000, description="how many requests in the burst")
    concurrency: int = Field(default=10, ge=1, le=200, description="requests in flight at once")
    expect: BurstExpect = Field(description="how many of each status may or must come back")


async def run_burst(params: BurstParams, ctx: CheckContext) -> Result:
    """Send a bounded burst of identical requests and check how many of each status came back."""
    gate = asyncio.Semaphore(params.concurrency)

    async def one() -> Exchange:
        async with gate:
            return await send(client, params.request, ctx)

    async with ctx.client() as client:
        exchanges = await asyncio.gather(*(one() for _ in range(params.count)))
    statuses = Counter(e.status for e in exchanges)
    observations = _observe(params.expect, exchanges, statuses)
    table = Table(title=f"{params.count} requests, {params.concurrency} at a time", columns=["status", "count"],
                  rows=[[str(s), n] for s, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))])
    examples: dict[int | None, Any] = {}
    for exchange in exchanges:
        examples.setdefault(exchange.status, exchange.evidence)
    ok = f"statuses {dict(sorted((str(k), v) for k, v in statuses.items()))} as expected"
    return Result.from_observations(observations, table, *list(examples.values())[:3], ok_message=ok,
                                    **{f"status_{s}": float(n) for s, n in statuses.items() if s is not None})


def _observe(expect: BurstExpect, exchanges: list[Exchange], statuses: Counter) -> list[Observation]:
    out = []
    for status, least in expect.min_status_count.items():
        out.append(Observation(label=f"responses with {status}", observed=statuses.get(status, 0),
                               expected=f">= {least}", ok=statuses.get(status, 0) >= least))
    for status, most in expect.max_status_count.items():
        out.append(Observation(label=f"responses with {status}", observed=statuses.get(status, 0),
                               expected=f"<= {most}", ok=statuses.get(status, 0) <= most))
    for status, names in expect.headers_on_status.items():
        out += _headers([e for e in exchanges if e.status == status], names, f"{status} responses")
    if expect.headers_on_all:
        answered = [e for e in exchanges if e.response is not None]
        out += _headers(answered, expect.headers_on_all, "all responses")
    return out


def _headers(exchanges: list[Exchange], names: list[str], scope: str) -> list[Observation]:
    out = []
    for name in names:
        missing = sum(1 for e in exchanges if e.response is not None and name not in e.response.headers)
        out.append(Observation(label=f"{name} on {scope}", observed=f"missing on {missing} of {len(exchanges)}",
                               expected="present on every one", ok=missing == 0 and bool(exchanges)))
    return out


EXAMPLE = """\
type: burst
request: {path: /v1/search, headers: {X-API-Key: "{secret.free_key}"}}
count: 60
concurrency: 10
expect:
  min_status_count: {429: 1}
  max_status_count: {500: 0}
  headers_on_status: {429: [Retry-After]}
"""


def register(registry: Registry) -> None:
    registry.register("burst", BurstParams, example=EXAMPLE)(run_burst)
