"""The ``sequence`` check type: requests in order, values captured from one used by the next."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.capture import CaptureSource, capture_all, with_variables
from readiness_harness.checks.shared.exchange import Exchange, RequestSpec, send
from readiness_harness.checks.shared.expectations import NOT_JUDGED, ResponseExpect, conclude, dedupe, evaluate
from readiness_harness.checks.shared.jsonpath import JsonPath, lookup
from readiness_harness.checks.shared.variables import Generator, generate
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.errors import CheckFailure
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class Step(BaseModel):
    """One request; ``repeat`` copies run concurrently when ``concurrent``; ``until`` polls."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="a label for the step in the report")
    request: RequestSpec = Field(description="the request ({var.NAME} and {fresh.KIND} allowed)")
    expect: ResponseExpect = Field(default_factory=ResponseExpect, description="what the answer must look like")
    capture: dict[str, CaptureSource] = Field(default_factory=dict, description="var name -> JSON path or header:NAME")
    repeat: int = Field(default=1, ge=1, le=200, description="send the request this many times")
    concurrent: bool = Field(default=False, description="send the repeats at once")
    same_json: list[JsonPath] = Field(default_factory=list, description="JSON paths equal across repeated responses")
    until: ResponseExpect | None = Field(default=None, description="poll the request until its answer matches this")
    poll_timeout_s: float = Field(default=10.0, gt=0, le=300, description="give up polling after this many seconds")
    poll_interval_s: float = Field(default=0.2, gt=0, le=60, description="pause between polls")


class SequenceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vars: dict[str, Generator] = Field(default_factory=dict,
                                       description="name -> a fresh value per run (uuid, token, evm_address), used as "
                                                   "{var.NAME}")
    steps: list[Step] = Field(min_length=1,
                              description="the requests, in order; the sequence stops at the first failing step")


async def run_sequence(params: SequenceParams, ctx: CheckContext) -> Result:
    """Run requests in order, capturing values (ids, Location headers) for the steps after."""
    variables: dict[str, Any] = {name: generate(kind) for name, kind in params.vars.items()}
    observations: list[Observation] = []
    evidence: list[Any] = []
    sent: list[Exchange] = []
    async with ctx.client() as client:
        for step in params.steps:
            exchanges, step_obs = await _run_step(client, step, variables, ctx)
            observations += step_obs
            evidence += [e.evidence for e in exchanges[:3]]
            sent += exchanges
            if any(o.ok is False for o in step_obs):
                break
            if exchanges[0].cut and any(not source.startswith("header:") for source in step.capture.values()):
                observations.append(Observation(label=f"{step.name}: capture", observed=NOT_JUDGED,
                                                expected="values read from the JSON body"))
                break  # a value cannot be read from JSON cut at the cap: the steps after are not judged
            _capture(step, exchanges[0], variables)
    return conclude(observations, *evidence, ok_message=f"{len(params.steps)} steps behaved as expected",
                    exchanges=sent)


async def _run_step(
    client: httpx.AsyncClient, step: Step, variables: dict[str, Any], ctx: CheckContext
) -> tuple[list[Exchange], list[Observation]]:
    request = _resolved(RequestSpec, step.request, variables, step.name)
    expect = _resolved(ResponseExpect, step.expect, variables, step.name)
    if step.until is not None:
        exchange, polled = await _poll(client, step, step.until, request, variables, ctx)
        return [exchange], [polled, *_label(step, evaluate(expect, exchange))]
    if step.concurrent:
        exchanges = list(await asyncio.gather(*(send(client, request, ctx) for _ in range(step.repeat))))
    else:
        exchanges = [await send(client, request, ctx) for _ in range(step.repeat)]
    observations = [o for e in exchanges for o in _label(step, evaluate(expect, e))]
    observations = dedupe(observations)
    for path in step.same_json:
        values = {repr(lookup(e.json(), path)) for e in exchanges}
        observations.append(Observation(label=f"{step.name}: {path} equal across {len(exchanges)} responses",
                                        observed=sorted(values), expected="one value", ok=len(values) == 1))
    return exchanges, observations


async def _poll(
    client: httpx.AsyncClient, step: Step, condition: ResponseExpect, request: RequestSpec,
    variables: dict[str, Any], ctx: CheckContext,
) -> tuple[Exchange, Observation]:
    until = _resolved(ResponseExpect, condition, variables, step.name)
    deadline = time.monotonic() + step.poll_timeout_s
    attempts = 0
    while True:
        attempts += 1
        exchange = await send(client, request, ctx)
        reached = all(o.ok for o in evaluate(until, exchange))
        if reached or time.monotonic() >= deadline:
            observed = f"after {attempts} polls" if reached else f"not after {attempts} polls"
            return exchange, Observation(label=f"{step.name}: condition reached", observed=observed,
                                         expected=f"within {step.poll_timeout_s:g} s", ok=reached)
        await asyncio.sleep(step.poll_interval_s)


def _resolved(model: type[BaseModel], value: BaseModel, variables: dict[str, Any], step: str) -> Any:
    resolved, missing = with_variables(model, value, variables)
    if missing:
        raise CheckFailure(f"step '{step}' uses {{var.{missing[0]}}}, which no earlier step captured")
    return resolved


def _capture(step: Step, exchange: Exchange, variables: dict[str, Any]) -> None:
    missing = capture_all(step.capture, exchange, variables)
    if missing:
        name = next(n for n, source in step.capture.items() if source == missing[0])
        raise CheckFailure(f"step '{step.name}': nothing to capture at '{missing[0]}' for {{var.{name}}}")


def _label(step: Step, observations: list[Observation]) -> list[Observation]:
    return [o.model_copy(update={"label": f"{step.name}: {o.label}"}) for o in observations]


EXAMPLE = """\
type: sequence
vars: {key: uuid}
steps:
  - name: create
    request: {method: POST, path: /v1/orders, headers: {Idempotency-Key: "{var.key}"}, json: {sku: A1, qty: 1}}
    expect: {status: 201}
    capture: {order: id, where: "header:Location"}
  - name: read it back
    request: {path: "/v1/orders/{var.order}"}
    expect: {status: 200, json: {sku: A1}}
  - name: wait until shipped
    request: {path: "/v1/orders/{var.order}"}
    until: {json: {status: shipped}}
    poll_timeout_s: 10
"""


def register(registry: Registry) -> None:
    registry.register("sequence", SequenceParams, example=EXAMPLE)(run_sequence)
