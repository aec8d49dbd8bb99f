"""Thresholds over a span of the run (a fault window, a baseline window), from the stats history.

Pure functions over :class:`~loadtests.history.HistoryRow` lists, so the chaos scenarios can ask
"what did the service do while the fault was on, and what did it do before?" of one Locust run.

How a window's figures are computed from the one-second rows:

- requests and failures: the difference of the cumulative totals between the last row at or
  before the window's start and the last row at or before its end (exact);
- request rate: those requests over the seconds between the two rows;
- p50/p95/p99: the *largest* of Locust's current percentiles sampled in the window. Locust's
  current percentiles cover the last ~10 s, so a sample near a window's start still carries
  some earlier requests; taking the largest sample keeps the figure conservative for a fault
  window, and a baseline window should end before the fault begins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from readiness_harness.loadtests.history import HistoryRow
from readiness_harness.loadtests.results import AGGREGATE, Counts, split_name
from readiness_harness.loadtests.spec import Thresholds
from readiness_harness.loadtests.thresholds import AGGREGATE_SCOPE, Verdict, check_all


@dataclass(frozen=True)
class WindowStats(Counts):
    """One name's figures inside one window (same fields the thresholds read)."""

    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    samples: int
    expected: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class WindowResult:
    label: str
    start: float
    end: float
    aggregate: WindowStats
    names: dict[str, WindowStats]
    verdicts: list[Verdict]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def window_stats(rows: list[HistoryRow], name: str, start: float, end: float) -> WindowStats:
    """Figures for ``name`` (``Aggregated`` for all) between wall-clock ``start`` and ``end``."""
    by_tag: dict[int | None, list[HistoryRow]] = defaultdict(list)
    for row in rows:
        base, status = split_name(row.name)
        if row.name == name or (name != AGGREGATE and base == name):
            by_tag[status].append(row)
    requests = failures = 0
    seconds = 0.0
    expected: dict[int, int] = {}
    for status, series in by_tag.items():
        delta_r, delta_f, span = _deltas(sorted(series, key=lambda r: r.t), start, end)
        requests += delta_r
        failures += delta_f
        seconds = max(seconds, span)
        if status is not None and delta_r - delta_f:
            expected[status] = delta_r - delta_f
    inside = [row for series in by_tag.values() for row in series if start < row.t <= end]
    return WindowStats(name=name, requests=requests, failures=failures,
                       rps=requests / seconds if seconds > 0 else 0.0,
                       p50_ms=_largest(r.p50_ms for r in inside), p95_ms=_largest(r.p95_ms for r in inside),
                       p99_ms=_largest(r.p99_ms for r in inside), samples=len(inside), expected=expected)


def evaluate_window(rows: list[HistoryRow], label: str, start: float, end: float,
                    thresholds: Thresholds) -> WindowResult:
    """The thresholds (aggregate and per name) applied to one window of the history."""
    aggregate = window_stats(rows, AGGREGATE, start, end)
    base_names = sorted({split_name(r.name)[0] for r in rows if r.name != AGGREGATE})
    names = {n: window_stats(rows, n, start, end) for n in base_names}
    present = {n: s for n, s in names.items() if s.requests}
    verdicts = check_all(thresholds, aggregate, present)
    return WindowResult(label=label, start=start, end=end, aggregate=aggregate, names=names,
                        verdicts=[_scoped(v, label) for v in verdicts])


def _scoped(verdict: Verdict, label: str) -> Verdict:
    scope = label if verdict.scope == AGGREGATE_SCOPE else f"{label} {verdict.scope}"
    return Verdict(scope, verdict.metric, verdict.observed, verdict.limit, verdict.ok, verdict.note)


def _deltas(series: list[HistoryRow], start: float, end: float) -> tuple[int, int, float]:
    """(requests, failures, seconds) between the last rows at or before ``start`` and ``end``."""
    before = [r for r in series if r.t <= start]
    until = [r for r in series if r.t <= end]
    if not until:
        return 0, 0, 0.0
    first = before[-1] if before else None
    last = until[-1]
    base_r, base_f, base_t = (first.total_requests, first.total_failures, first.t) if first else (0, 0, start)
    return last.total_requests - base_r, last.total_failures - base_f, max(0.0, last.t - base_t)


def _largest(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None
