"""The ``file`` check type: a file or folder exists; its text matches patterns and has Markdown headings.

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.files import missing_file, pattern_observations
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileParams(_Params):
    path: str = Field(description="a file or folder, relative to the checklist's folder")
    contains: list[str] = Field(default_factory=list, description="regular expressions that must match")
    not_contains: list[str] = Field(default_factory=list, description="regular expressions that must not match")
    headings: list[str] = Field(default_factory=list, description="Markdown headings that must exist")


def markdown_headings(text: str) -> list[str]:
    return [m.group(1).strip().lower() for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)]


async def run_file(params: FileParams, ctx: CheckContext) -> Result:
    """A file or folder exists; its text matches patterns and has the named Markdown headings."""
    path = ctx.resolve(params.path)
    if not path.exists():
        return missing_file(path)
    observations = [Observation(label="exists", observed=str(path), expected="present", ok=True)]
    if path.is_file() and (params.contains or params.not_contains or params.headings):
        text = path.read_text(encoding="utf-8", errors="replace")
        observations += pattern_observations(text, params.contains, True)
        observations += pattern_observations(text, params.not_contains, False)
        found = markdown_headings(text)
        for heading in params.headings:
            hit = any(heading.lower() in h for h in found)
            observations.append(Observation(label=f"heading {heading!r}", observed="present" if hit else "<absent>",
                                            expected="present", ok=hit))
    return Result.from_observations(observations, ok_message=f"{params.path} as expected")


EXAMPLE = """\
type: file
path: ../RUNBOOK.md
headings: [Rollback, On-call]
contains: ["(?i)restart"]
"""


def register(registry: Registry) -> None:
    registry.register("file", FileParams, example=EXAMPLE)(run_file)
