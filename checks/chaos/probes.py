"""Probes: requests with expectations, run before, during and after a fault.

A probe may use the scenario's variables as ``{var.NAME}`` in its request and expectations: values
generated once per run (``vars:``) and values an earlier probe captured (``capture:``), so a steady-state
probe can create an order and a probe after a restart can replay it and expect the same id. A probe
that uses a variable nobody captured fails without sending anything.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.capture import CaptureSource, capture_all, with_variables
from readiness_harness.checks.shared.exchange import Exchange, RequestSpec, send
from readiness_harness.checks.shared.expectations import ResponseExpect, dedupe, evaluate
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation


class Probe(BaseModel):
    """A request sent ``repeat`` times (``interval_s`` apart, or all at once when ``concurrent``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="a label for the probe in the report")
    request: RequestSpec = Field(description="the request to send ({var.NAME} allowed)")
    expect: ResponseExpect = Field(default_factory=ResponseExpect,
                                   description="what every answer must look like ({var.NAME} allowed)")
    capture: dict[str, CaptureSource] = Field(default_factory=dict,
                                              description="var name -> JSON path or header:NAME, from the first "
                                                          "answer, for the probes after this one")
    repeat: int = Field(default=1, ge=1, le=500, description="how many times to send it")
    interval_s: float = Field(default=0.0, ge=0, le=60, description="pause between repeats (when not concurrent)")
    concurrent: bool = Field(default=False, description="send all repeats at once")


async def run_probe(client: httpx.AsyncClient, probe: Probe, ctx: CheckContext,
                    variables: dict[str, Any] | None = None) -> tuple[list[Observation], list[Exchange]]:
    known = variables if variables is not None else {}
    request, missing = with_variables(RequestSpec, probe.request, known)
    expect, missing_too = with_variables(ResponseExpect, probe.expect, known)
    if missing or missing_too:
        name = (missing or missing_too)[0]
        return [Observation(label=f"{probe.name}: {{var.{name}}}", observed="never captured",
                            expected="captured by an earlier probe (capture:) or generated (vars:)", ok=False)], []
    if probe.concurrent:
        exchanges = list(await asyncio.gather(*(send(client, request, ctx) for _ in range(probe.repeat))))
    else:
        exchanges = []
        for n in range(probe.repeat):
            if n and probe.interval_s:
                await asyncio.sleep(probe.interval_s)
            exchanges.append(await send(client, request, ctx))
    observations = []
    for exchange in exchanges:
        observations += [o.model_copy(update={"label": f"{probe.name}: {o.label}"})
                         for o in evaluate(expect, exchange)]
    if probe.capture and variables is not None:
        for source in capture_all(probe.capture, exchanges[0], variables):
            observations.append(Observation(label=f"{probe.name}: capture {source}", observed="nothing there",
                                            expected="a value to capture", ok=False))
    return dedupe(observations), exchanges


async def run_probes(client: httpx.AsyncClient, probes: list[Probe], ctx: CheckContext,
                     variables: dict[str, Any] | None = None) -> tuple[list[Observation], list[Exchange]]:
    observations: list[Observation] = []
    exchanges: list[Exchange] = []
    for probe in probes:
        found, sent = await run_probe(client, probe, ctx, variables)
        observations += found
        exchanges += sent
    return observations, exchanges


def holds(observations: list[Observation]) -> bool:
    return all(o.ok is not False for o in observations)


def first_failures(exchanges: list[Exchange], observations: list[Observation], limit: int = 2) -> list:
    """A few exchanges worth showing: failing ones when any failed, else the first."""
    if holds(observations):
        return [e.evidence for e in exchanges[:1]]
    bad = [e for e in exchanges if e.error or (e.status is not None and e.status >= 500)]
    return [e.evidence for e in (bad or exchanges)[:limit]]
