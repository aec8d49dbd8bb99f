"""Thresholds over a span of the run (a baseline, a fault, a recovery window), from the request record.

A window is exact to one bucket (100 ms): ``outer`` edges take every bucket the span touches,
``inner`` edges only the buckets wholly inside it. A fault window is judged with outer edges (every
request that completed while the fault was on, and at most one bucket more on each side); a
baseline window with inner edges (nothing that completed after the injection leaks in). A window
that holds no request is *not measured*: its limits are reported as such, never as missed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness_harness.loadtests.record import Edges, Record
from readiness_harness.loadtests.results import NameStats
from readiness_harness.loadtests.spec import Thresholds
from readiness_harness.loadtests.thresholds import AGGREGATE_SCOPE, Verdict, check_all


@dataclass(frozen=True)
class WindowAsk:
    """A span to judge: wall-clock start and end, edges, and its own limits (the spec's when None)."""

    label: str
    start: float
    end: float
    edges: Edges = "outer"
    thresholds: Thresholds | None = None


@dataclass(frozen=True)
class WindowResult:
    label: str
    start: float  # the edges of the buckets taken
    end: float
    aggregate: NameStats
    names: dict[str, NameStats]
    verdicts: list[Verdict] = field(default_factory=list)
    asked: tuple[float, float] = (0.0, 0.0)
    edges: Edges = "outer"

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)

    @property
    def measured(self) -> bool:
        return self.aggregate.requests > 0


def evaluate_window(record: Record, ask: WindowAsk, thresholds: Thresholds) -> WindowResult:
    """The limits (aggregate and per name) applied to the buckets of one window."""
    span = record.span(ask.start, ask.end, ask.edges)
    aggregate = span.aggregate_stats()
    names = span.name_stats()
    limits = ask.thresholds or thresholds
    if aggregate.requests:
        verdicts = check_all(limits, aggregate, {n: s for n, s in names.items() if s.requests})
    else:
        note = f"no request completed in the {ask.label} window"
        verdicts = [Verdict(v.scope, v.metric, None, v.limit, False, note)
                    for v in check_all(limits, aggregate, {})]
    return WindowResult(label=ask.label, start=span.start, end=span.end, aggregate=aggregate, names=names,
                        verdicts=[_scoped(v, ask.label) for v in verdicts], asked=(ask.start, ask.end),
                        edges=ask.edges)


def _scoped(verdict: Verdict, label: str) -> Verdict:
    scope = label if verdict.scope == AGGREGATE_SCOPE else f"{label} {verdict.scope}"
    return Verdict(scope, verdict.metric, verdict.observed, verdict.limit, verdict.ok, verdict.note)
