"""The target file: how to start the service under audit, and where its fault proxies sit."""

from __future__ import annotations

import signal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness_harness.contract.checklist import ID_PATTERN
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.dependencies.models import DependencySpec
from readiness_harness.documents import read_yaml, validate_model
from readiness_harness.rendered_files import RenderedFile


class _TargetModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadySpec(_TargetModel):
    url: str
    timeout_s: float = Field(default=30.0, gt=0)
    status: list[int] = Field(default_factory=lambda: [200])
    interval_s: float = Field(default=0.1, gt=0)


class StopSpec(_TargetModel):
    signal: str = "SIGTERM"
    grace_s: float = Field(default=10.0, ge=0)

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if not hasattr(signal, value):
            raise ValueError(f"unknown signal {value!r}; use a name such as SIGTERM or SIGINT")
        return value


class ProcessSpec(_TargetModel):
    name: str = Field(pattern=ID_PATTERN)
    command: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    ready: ReadySpec | None = None
    stop: StopSpec = Field(default_factory=StopSpec)
    start_with_previous: bool = Field(default=False, description="start without waiting for the processes "
                                      "before this one to be ready (they are all awaited before the audit)")


class ProxySpec(_TargetModel):
    name: str = Field(pattern=ID_PATTERN)
    listen: str
    upstream: str


class TargetSpec(_TargetModel):
    name: str
    base_url: str
    cwd: str = Field(default=".", description="working folder of every process, relative to the target file")
    secrets: list[str] = Field(default_factory=list)
    processes: list[ProcessSpec] = Field(default_factory=list)
    proxies: list[ProxySpec] = Field(default_factory=list)
    dependencies: list[DependencySpec] = Field(default_factory=list)
    files: list[RenderedFile] = Field(default_factory=list, description="files written into the run folder "
                                      "({run_dir}) before any process starts, placeholders filled")


def load_target(path: str | Path) -> tuple[TargetSpec, Path]:
    """Parse and validate a target file; relative paths in it are relative to its folder."""
    path = Path(path)
    data, lines, _ = read_yaml(path)
    spec, problems = validate_model(TargetSpec, data, file=str(path), lines=lines)
    if problems:
        raise ChecklistError(problems)
    return spec, path.resolve().parent
