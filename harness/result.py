"""What a check returns: a status, a message, and the evidence a reviewer needs."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    INCONCLUSIVE = "inconclusive"
    ATTESTED = "attested"
    UNATTESTED = "unattested"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    SKIPPED = "skipped"


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Observation(_Evidence):
    """One measured value set against what was expected."""

    kind: Literal["observation"] = "observation"
    label: str
    observed: Any
    expected: Any = None
    ok: bool | None = None


class HttpExchange(_Evidence):
    """A request and its response, secrets redacted and bodies cut."""

    kind: Literal["http"] = "http"
    method: str
    url: str
    request_headers: dict[str, str] = Field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)
    response_body: str | None = None
    elapsed_ms: float | None = None
    error: str | None = None


class Table(_Evidence):
    kind: Literal["table"] = "table"
    title: str
    columns: list[str]
    rows: list[list[Any]]


class LogExcerpt(_Evidence):
    kind: Literal["log"] = "log"
    title: str
    lines: list[str]


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    start: float
    end: float


class TimeSeries(_Evidence):
    """Columns of samples over time (``t`` in seconds from the start), rendered as charts."""

    kind: Literal["timeseries"] = "timeseries"
    title: str
    t: list[float]
    series: dict[str, list[float | None]]
    unit: dict[str, str] = Field(default_factory=dict)
    windows: list[Window] = Field(default_factory=list)


class TimelineEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    t: float
    event: str
    detail: str = ""
    ok: bool | None = None


class Timeline(_Evidence):
    kind: Literal["timeline"] = "timeline"
    title: str
    events: list[TimelineEvent]
    recovered_after_s: float | None = None


class Text(_Evidence):
    kind: Literal["text"] = "text"
    title: str
    body: str


class Link(_Evidence):
    """A file kept beside the report (for example Locust's own HTML report)."""

    kind: Literal["link"] = "link"
    title: str
    href: str


Evidence = Annotated[
    Observation | HttpExchange | Table | LogExcerpt | TimeSeries | Timeline | Text | Link,
    Field(discriminator="kind"),
]


class Result(BaseModel):
    """The outcome of one item."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    message: str = ""
    duration_s: float = 0.0
    evidence: list[Evidence] = Field(default_factory=list)
    measurements: dict[str, float] = Field(default_factory=dict)
    attestation: dict[str, Any] | None = None

    @classmethod
    def passed(cls, message: str, *evidence: Any, **measurements: float) -> Result:
        return cls(status=Status.PASSED, message=message, evidence=list(evidence), measurements=measurements)

    @classmethod
    def failed(cls, message: str, *evidence: Any, **measurements: float) -> Result:
        return cls(status=Status.FAILED, message=message, evidence=list(evidence), measurements=measurements)

    @classmethod
    def error(cls, message: str, *evidence: Any) -> Result:
        return cls(status=Status.ERROR, message=message, evidence=list(evidence))

    @classmethod
    def from_observations(
        cls, observations: list[Observation], *extra: Any, ok_message: str, **measurements: float
    ) -> Result:
        """Passed when every observation holds; otherwise failed, naming what missed."""
        missed = [o for o in observations if o.ok is False]
        evidence = [*observations, *extra]
        if not missed:
            return cls.passed(ok_message, *evidence, **measurements)
        text = "; ".join(f"{o.label}: {_short(o.observed)} (expected {_short(o.expected)})" for o in missed)
        return cls.failed(text, *evidence, **measurements)


def _short(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
