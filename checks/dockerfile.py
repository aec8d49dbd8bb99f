"""The ``dockerfile`` check type: the final stage runs as a non-root USER and declares a HEALTHCHECK.

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.files import missing_file
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DockerfileParams(_Params):
    path: str = Field(description="the Dockerfile, relative to the checklist's folder")
    non_root: bool = Field(default=True, description="the final stage sets a USER other than root")
    healthcheck: bool = Field(default=True, description="the final stage declares a HEALTHCHECK")


def final_stage(text: str) -> list[tuple[str, str]]:
    """(instruction, arguments) of the last build stage, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    pairs = [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]
    starts = [n for n, (op, _) in enumerate(pairs) if op == "FROM"]
    return pairs[starts[-1]:] if starts else pairs


async def run_dockerfile(params: DockerfileParams, ctx: CheckContext) -> Result:
    """A Dockerfile's final stage runs as a non-root USER and declares a HEALTHCHECK."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return missing_file(path)
    stage = final_stage(path.read_text(encoding="utf-8"))
    observations = []
    if params.non_root:
        users = [args.split(":")[0].strip() for op, args in stage if op == "USER"]
        last = users[-1] if users else "<none: root>"
        ok = bool(users) and last not in ("root", "0")
        observations.append(Observation(label="USER (last, final stage)", observed=last, expected="a non-root user",
                                        ok=ok))
    if params.healthcheck:
        checks = [args for op, args in stage if op == "HEALTHCHECK"]
        ok = bool(checks) and not checks[-1].upper().startswith("NONE")
        observations.append(Observation(label="HEALTHCHECK", observed=checks[-1] if checks else "<absent>",
                                        expected="a health command", ok=ok))
    return Result.from_observations(observations, ok_message=f"{params.path}: non-root user and healthcheck")


def crossref(params: DockerfileParams, ctx: CrossrefContext) -> list[Finding]:
    """The Dockerfile exists."""
    return ctx.file_missing(params.path, ("path",), what="Dockerfile")


EXAMPLE = """\
type: dockerfile
path: ../Dockerfile
non_root: true
healthcheck: true
"""


def register(registry: Registry) -> None:
    registry.register("dockerfile", DockerfileParams, example=EXAMPLE, crossref=crossref)(run_dockerfile)
