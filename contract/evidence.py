"""Evidence: what a reviewer needs to believe a result, as a frozen union keyed by ``kind``.

Much of it is text from the target; every string is made printable as evidence is made (lone
surrogates and control characters escaped, ``contract/safetext.py``), so any evidence can be
written to JSON, HTML and XML.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.contract.safetext import printable_value


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _printable(cls, data: Any) -> Any:
        return printable_value(data) if isinstance(data, dict) else data


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
    """Columns of samples over time (``t`` in seconds from the start), rendered as charts.

    ``x_label`` names another quantity on the horizontal axis (``t`` then holds its values, for example
    the asked request rate of each step of a capacity search); windows and marks are in its units.
    """

    kind: Literal["timeseries"] = "timeseries"
    title: str
    t: list[float]
    series: dict[str, list[float | None]]
    unit: dict[str, str] = Field(default_factory=dict)
    windows: list[Window] = Field(default_factory=list)
    x_label: str | None = None


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
