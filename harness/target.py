"""The target file: how to start the service under audit, and where its fault proxies sit."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness_harness.contract.checklist import ID_PATTERN
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.dependencies.models import DependencySpec
from readiness_harness.documents import read_yaml, validate_model
from readiness_harness.rendered_files import RenderedFile


class _TargetModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _seconds(*, ge: float = 0.0, le: float) -> Any:
    return Field(strict=True, ge=ge, le=le, allow_inf_nan=False)


StartupSeconds = Annotated[float, _seconds(ge=0.001, le=3600)]  # a service that needs over an hour is not starting
PollSeconds = Annotated[float, _seconds(ge=0.01, le=60)]
GraceSeconds = Annotated[float, _seconds(le=600)]
HttpStatus = Annotated[int, Field(strict=True, ge=100, le=599)]


class ReadySpec(_TargetModel):
    url: str
    timeout_s: StartupSeconds = 30.0
    status: list[HttpStatus] = Field(default_factory=lambda: [200], min_length=1)
    interval_s: PollSeconds = 0.1
    ca_file: str | None = Field(default=None, description="an HTTPS `url` is verified with this CA certificate "
                                "(placeholders allowed, e.g. a CA the service writes into {run_dir})")


class StopSpec(_TargetModel):
    signal: str = "SIGTERM"
    grace_s: GraceSeconds = 10.0

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if value not in signal.Signals.__members__:
            raise ValueError(f"{value!r} is not a signal; use a name such as SIGTERM, SIGINT or SIGQUIT")
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
