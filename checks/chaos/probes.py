"""Probes: requests with expectations, run before, during and after a fault."""

from __future__ import annotations

import asyncio

import httpx
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.exchange import Exchange, RequestSpec, send
from readiness_harness.checks.shared.expectations import ResponseExpect, dedupe, evaluate
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation


class Probe(BaseModel):
    """A request sent ``repeat`` times (``interval_s`` apart, or all at once when ``concurrent``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="a label for the probe in the report")
    request: RequestSpec = Field(description="the request to send")
    expect: ResponseExpect = Field(default_factory=ResponseExpect, description="what every answer must look like")
    repeat: int = Field(default=1, ge=1, le=500, description="how many times to send it")
    interval_s: float = Field(default=0.0, ge=0, le=60, description="pause between repeats (when not concurrent)")
    concurrent: bool = Field(default=False, description="send all repeats at once")


async def run_probe(client: httpx.AsyncClient, probe: Probe, ctx: CheckContext) -> tuple[list[Observation],
                                                                                          list[Exchange]]:
    if probe.concurrent:
        exchanges = list(await asyncio.gather(*(send(client, probe.request, ctx) for _ in range(probe.repeat))))
    else:
        exchanges = []
        for n in range(probe.repeat):
            if n and probe.interval_s:
                await asyncio.sleep(probe.interval_s)
            exchanges.append(await send(client, probe.request, ctx))
    observations = []
    for exchange in exchanges:
        observations += [o.model_copy(update={"label": f"{probe.name}: {o.label}"})
                         for o in evaluate(probe.expect, exchange)]
    return dedupe(observations), exchanges


async def run_probes(client: httpx.AsyncClient, probes: list[Probe], ctx: CheckContext) -> tuple[
        list[Observation], list[Exchange]]:
    observations: list[Observation] = []
    exchanges: list[Exchange] = []
    for probe in probes:
        found, sent = await run_probe(client, probe, ctx)
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
