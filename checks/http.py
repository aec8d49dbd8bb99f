"""The ``http`` check type: one request, expectations on its response."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from readiness_harness.checks.shared.exchange import RequestSpec, send
from readiness_harness.checks.shared.expectations import ResponseExpect, conclude, evaluate
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class HttpParams(RequestSpec):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    expect: ResponseExpect = Field(default_factory=ResponseExpect)


async def run_http(params: HttpParams, ctx: CheckContext) -> Result:
    """Send one HTTP request and check status, headers, JSON fields, body text and latency."""
    async with ctx.client() as client:
        exchange = await send(client, params, ctx)
    observations = evaluate(params.expect, exchange)
    ok = f"{exchange.evidence.method} {params.path} answered {exchange.status} as expected"
    return conclude(observations, exchange.evidence, ok_message=ok, exchanges=[exchange],
                    latency_ms=round(exchange.elapsed_ms, 2))


EXAMPLE = """\
type: http
method: GET
path: /v1/orders/42
headers: {Authorization: "Bearer {secret.api_token}"}
expect:
  status: 200
  headers: {Content-Type: {contains: application/json}, X-Request-ID: {present: true}}
  json: {items.0.id: {type: string}, total: {min: 0}}
  body_not_contains: [Traceback]
  max_latency_ms: 500
"""


def register(registry: Registry) -> None:
    registry.register("http", HttpParams, example=EXAMPLE)(run_http)
