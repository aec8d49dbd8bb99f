"""Lifecycle check types: ``shutdown`` (SIGTERM during an in-flight request) and ``startup``
(a bad configuration stops the service with a message naming the variable)."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.exchange import RequestSpec, send
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import LogExcerpt, Observation
from readiness_harness.contract.redaction import redact_text
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result


class ShutdownParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str = "api"
    request: RequestSpec = Field(description="a request that is still in flight when the signal arrives")
    signal_after_ms: int = Field(default=300, ge=0, le=60_000)
    signal: str = "SIGTERM"
    expect_status: int = 200
    exit_within_s: float = Field(default=15.0, gt=0)


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


class StartupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str = "api"
    unset: list[str] = Field(default_factory=list, description="variables removed from the environment")
    set: dict[str, str] = Field(default_factory=dict, description="variables given a bad value")
    expect_mentions: list[str] = Field(min_length=1, description="texts the start-up error must contain")
    within_s: float = Field(default=20.0, gt=0)


async def run_startup(params: StartupParams, ctx: CheckContext) -> Result:
    """Start the service with a broken configuration: it must refuse to start and name the variable."""
    template = ctx.target.process(params.process)
    env = {k: v for k, v in template.env.items() if k not in params.unset}
    env.update(ctx.expand(params.set))
    proc = await asyncio.create_subprocess_exec(
        *template.command, env=env, cwd=template.cwd, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), params.within_s)
    except TimeoutError:
        os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return Result.failed(f"the service kept running for {params.within_s:g} s with a broken configuration")
    text = redact_text(output.decode(errors="replace"), ctx.secret_values)
    observations = [Observation(label="exit code", observed=proc.returncode, expected="non-zero",
                                ok=proc.returncode != 0)]
    observations += [Observation(label=f"error mentions {m!r}", observed=m in text, expected=True, ok=m in text)
                     for m in params.expect_mentions]
    return Result.from_observations(observations, LogExcerpt(title="start-up output", lines=text.splitlines()[-15:]),
                                    ok_message=f"refused to start (exit {proc.returncode}) naming the variable")


def register(registry: Registry) -> None:
    registry.register("shutdown", ShutdownParams, phase=Phase.FAULT, default_timeout_s=60)(run_shutdown)
    registry.register("startup", StartupParams)(run_startup)
