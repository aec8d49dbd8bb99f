"""The ``burst`` check type: many requests at once, counted by status (rate limits, overload).

Only what the verdict and the report need is kept of each answer: its status, its header names,
whether its body was cut, and (for the first answer of each status) its evidence. Bodies are read
up to the request's cap and dropped, so a burst of large answers costs no more than one of them
per request in flight.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.body import size_text
from readiness_harness.checks.shared.exchange import RequestSpec, send
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import HttpExchange, Observation, Table
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


EXAMPLES = 3
EVIDENCE_BYTES = 16 * 1024  # of each body, enough for the evidence's cut


@dataclass(frozen=True)
class _Answer:
    """What is kept of one answer."""

    status: int | None
    headers: frozenset[str]  # lower-case names
    cut: bool


async def run_burst(params: BurstParams, ctx: CheckContext) -> Result:
    """Send a bounded burst of identical requests and check how many of each status came back."""
    gate = asyncio.Semaphore(params.concurrency)
    examples: dict[int | None, HttpExchange] = {}

    async def one() -> _Answer:
        async with gate:
            exchange = await send(client, params.request, ctx, keep=EVIDENCE_BYTES)
        if exchange.status not in examples and len(examples) < EXAMPLES:
            examples[exchange.status] = exchange.evidence
        names = frozenset(n.lower() for n in exchange.response.headers) if exchange.response is not None else None
        return _Answer(exchange.status, names or frozenset(), exchange.cut)

    async with ctx.client() as client:
        answers = await asyncio.gather(*(one() for _ in range(params.count)))
    statuses = Counter(a.status for a in answers)
    observations = _observe(params.expect, answers, statuses)
    table = Table(title=f"{params.count} requests, {params.concurrency} at a time", columns=["status", "count"],
                  rows=[[str(s), n] for s, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))])
    ok = f"statuses {dict(sorted((str(k), v) for k, v in statuses.items()))} as expected"
    result = Result.from_observations(observations, table, *examples.values(), ok_message=ok,
                                      **{f"status_{s}": float(n) for s, n in statuses.items() if s is not None})
    cut = sum(a.cut for a in answers)
    if cut:
        note = f"{cut} of {len(answers)} answers cut at {size_text(params.request.max_response_bytes)}"
        result.message = f"{result.message} ({note}: the rest was not read)"
    return result


def _observe(expect: BurstExpect, answers: list[_Answer], statuses: Counter) -> list[Observation]:
    out = []
    for status, least in expect.min_status_count.items():
        out.append(Observation(label=f"responses with {status}", observed=statuses.get(status, 0),
                               expected=f">= {least}", ok=statuses.get(status, 0) >= least))
    for status, most in expect.max_status_count.items():
        out.append(Observation(label=f"responses with {status}", observed=statuses.get(status, 0),
                               expected=f"<= {most}", ok=statuses.get(status, 0) <= most))
    for status, names in expect.headers_on_status.items():
        out += _headers([a for a in answers if a.status == status], names, f"{status} responses")
    if expect.headers_on_all:
        answered = [a for a in answers if a.status is not None]
        out += _headers(answered, expect.headers_on_all, "all responses")
    return out


def _headers(answers: list[_Answer], names: list[str], scope: str) -> list[Observation]:
    out = []
    for name in names:
        missing = sum(1 for a in answers if name.lower() not in a.headers)
        out.append(Observation(label=f"{name} on {scope}", observed=f"missing on {missing} of {len(answers)}",
                               expected="present on every one", ok=missing == 0 and bool(answers)))
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
