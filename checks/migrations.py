"""The ``migrations`` check type: ordered, versioned migration files, some holding required statements.

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.files import missing_file
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MigrationsParams(_Params):
    path: str = Field(description="the migrations folder, relative to the checklist's folder")
    pattern: str = Field(default=r"^(\d+)_[a-z0-9_]+\.sql$", description="file names; group 1 is the version")
    min_files: int = Field(default=1, ge=1, description="fewest migration files")
    contains: list[str] = Field(default_factory=list, description="regexes some migration must match")


async def run_migrations(params: MigrationsParams, ctx: CheckContext) -> Result:
    """A migrations folder holds versioned files in strict order (no gaps, no duplicates) with required SQL."""
    folder = ctx.resolve(params.path)
    if not folder.is_dir():
        return missing_file(folder, "folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and re.match(params.pattern, p.name))
    versions = [int(re.match(params.pattern, p.name).group(1)) for p in files]  # type: ignore[union-attr]
    expected_versions = list(range(versions[0], versions[0] + len(versions))) if versions else []
    observations = [
        Observation(label="migration files", observed=len(files), expected=f">= {params.min_files}",
                    ok=len(files) >= params.min_files),
        Observation(label="versions in file-name order", observed=versions,
                    expected="consecutive, ascending, no duplicates",
                    ok=bool(versions) and versions == expected_versions),
    ]
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    for pattern in params.contains:
        found = re.search(pattern, text, re.IGNORECASE | re.MULTILINE) is not None
        observations.append(Observation(label=f"a migration matches /{pattern}/", observed="found" if found else
                                        "absent", expected="found", ok=found))
    table = Table(title="Migrations", columns=["version", "file"], rows=[[v, p.name] for v, p in zip(versions, files,
                                                                                                    strict=True)])
    return Result.from_observations(observations, table, ok_message=f"{len(files)} ordered migrations",
                                    migrations=float(len(files)))


def crossref(params: MigrationsParams, ctx: CrossrefContext) -> list[Finding]:
    """The migrations folder exists."""
    return ctx.file_missing(params.path, ("path",), what="migrations folder")


EXAMPLE = """\
type: migrations
path: ../migrations
min_files: 2
contains: ["(?i)create index"]
"""


def register(registry: Registry) -> None:
    registry.register("migrations", MigrationsParams, example=EXAMPLE, crossref=crossref)(run_migrations)
