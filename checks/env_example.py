"""The ``env_example`` check type: ``.env.example`` documents every variable the configuration reads.

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


ENV_NAME_PATTERN = (r"""alias=["']([A-Z][A-Z0-9_]+)["']|environ(?:\.get)?\(?\[?["']([A-Z][A-Z0-9_]+)["']"""
                    r"""|getenv\(["']([A-Z][A-Z0-9_]+)["']""")


class EnvScan(_Params):
    file: str = Field(description="a Python file whose environment variable names must be documented")
    pattern: str = Field(default=ENV_NAME_PATTERN, description="regex; the first non-empty group is the name")


class EnvExampleParams(_Params):
    path: str = Field(description="the env example file, relative to the checklist's folder")
    variables: list[str] = Field(default_factory=list, description="variable names it must document")
    scan: EnvScan | None = Field(default=None,
                                 description="find the variable names in a source file instead of listing them")


def documented_variables(text: str) -> set[str]:
    """Names assigned in an env file, commented-out assignments included (optional variables)."""
    return set(re.findall(r"^\s*#?\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def scanned_variables(text: str, pattern: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in re.finditer(pattern, text) if any(m.groups())}


async def run_env_example(params: EnvExampleParams, ctx: CheckContext) -> Result:
    """An env example file documents every variable the configuration reads (listed or scanned)."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return missing_file(path)
    wanted = set(params.variables)
    if params.scan:
        source = ctx.resolve(params.scan.file)
        if not source.is_file():
            return Result.error(f"cannot scan {source}: no such file")
        wanted |= scanned_variables(source.read_text(encoding="utf-8"), params.scan.pattern)
    if not wanted:
        return Result.error("no variables to look for: give `variables` or a `scan` that finds some")
    missing = sorted(wanted - documented_variables(path.read_text(encoding="utf-8")))
    observation = Observation(label="undocumented variables", observed=missing or "none",
                              expected="none", ok=not missing)
    return Result.from_observations([observation], ok_message=f"{len(wanted)} variables documented in {params.path}",
                                    variables=float(len(wanted)))


def crossref(params: EnvExampleParams, ctx: CrossrefContext) -> list[Finding]:
    """The env example file, and the source file scanned for names, exist."""
    found = ctx.file_missing(params.path, ("path",), what="env example file")
    if params.scan is not None:
        found += ctx.file_missing(params.scan.file, ("scan", "file"), what="scanned file")
    return found


EXAMPLE = """\
type: env_example
path: ../.env.example
variables: [DATABASE_URL, API_KEYS]
scan: {file: ../app/config.py}
"""


def register(registry: Registry) -> None:
    registry.register("env_example", EnvExampleParams, example=EXAMPLE, crossref=crossref)(run_env_example)
