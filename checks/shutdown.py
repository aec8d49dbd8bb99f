"""The ``shutdown`` check type: SIGTERM while a request is in flight; the request completes, the process
exits, and the harness starts it again."""

from __future__ import annotations

import asyncio
import signal
import time

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.exchange import RequestSpec, send
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result


class ShutdownParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str = Field(default="api", description="the target's process to signal (a name from the target file)")
    request: RequestSpec = Field(description="a request that is still in flight when the signal arrives")
    signal_after_ms: int = Field(default=300, ge=0, le=60_000,
                                 description="send the signal this long after the request left")
    signal: str = Field(default="SIGTERM", description="the signal's name")
    expect_status: int = Field(default=200, description="the status the in-flight request must still get")
    exit_within_s: float = Field(default=15.0, gt=0,
                                 description="the process must exit within this many seconds of the signal")


async def run_shutdown(params: ShutdownParams, ctx: CheckContext) -> Result:
    """Send SIGTERM while a request is in flight: the request completes and the process exits; then restart it."""
    process = ctx.target.process(params.process)
    async with ctx.client() as client:
        pending = asyncio.ensure_future(send(client, params.request, ctx))
        await asyncio.sleep(params.signal_after_ms / 1000)
        signalled = time.monotonic()
        process.send(getattr(signal, params.signal))
        exchange = await pending
    exited_after = await _wait_exit(process, params.exit_within_s)
    observations = [
        Observation(label="in-flight request", observed=exchange.status or exchange.error,
                    expected=params.expect_status, ok=exchange.status == params.expect_status),
        Observation(label="process exited after the signal",
                    observed=f"{exited_after:.2f} s" if exited_after is not None else "still running",
                    expected=f"within {params.exit_within_s:g} s", ok=exited_after is not None),
    ]
    ready_after = await ctx.target.restart(params.process)
    observations.append(Observation(label="restarted and ready", observed=f"{ready_after:.2f} s", ok=True))
    return Result.from_observations(observations, exchange.evidence,
                                    ok_message="in-flight request finished before the process exited",
                                    shutdown_s=round(time.monotonic() - signalled, 3))


async def _wait_exit(process, timeout_s: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if not process.alive:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    return None


def crossref(params: ShutdownParams, ctx: CrossrefContext) -> list[Finding]:
    """The process signalled must be one the target file starts."""
    return ctx.process_missing(params.process, ("process",))


EXAMPLE = """\
type: shutdown
process: api
request: {path: /slow, query: {ms: 1500}}
signal_after_ms: 300
expect_status: 200
exit_within_s: 15
"""


def register(registry: Registry) -> None:
    registry.register("shutdown", ShutdownParams, phase=Phase.FAULT, default_timeout_s=60,
                      example=EXAMPLE, crossref=crossref)(run_shutdown)
