"""The ``startup`` check type: a bad configuration stops the service with a message naming the variable."""

from __future__ import annotations

import asyncio
import os
import signal

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import LogExcerpt, Observation
from readiness_harness.contract.redaction import redact_text
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class StartupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    process: str = Field(default="api",
                         description="the target's process started again with the broken configuration")
    unset: list[str] = Field(default_factory=list, description="variables removed from the environment")
    set: dict[str, str] = Field(default_factory=dict, description="variables given a bad value")
    expect_mentions: list[str] = Field(min_length=1, description="texts the start-up error must contain")
    within_s: float = Field(default=20.0, gt=0, description="it must exit within this many seconds")


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


def crossref(params: StartupParams, ctx: CrossrefContext) -> list[Finding]:
    """The process started again must be one the target file starts."""
    return ctx.process_missing(params.process, ("process",))


EXAMPLE = """\
type: startup
process: api
unset: [DATABASE_URL]
expect_mentions: [DATABASE_URL]
within_s: 10
"""


def register(registry: Registry) -> None:
    registry.register("startup", StartupParams, example=EXAMPLE, crossref=crossref)(run_startup)
