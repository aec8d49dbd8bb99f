"""Evidence for a load result: tables, the achieved-rate observation, the time series, Locust's report."""

from __future__ import annotations

from pathlib import Path

from readiness_harness.contract.evidence import Link, Observation, Table, TimeSeries, Window
from readiness_harness.loadtests.history import ExceptionRow, FailureRow, HistoryRow, aggregate_rows
from readiness_harness.loadtests.results import LoadStats, NameStats
from readiness_harness.loadtests.thresholds import Verdict
from readiness_harness.loadtests.windows import WindowResult

SATURATION_FRACTION = 0.95
MAX_ROWS = 50


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _expected(stats: NameStats) -> str:
    return ", ".join(f"{status}×{count}" for status, count in sorted(stats.expected.items()))


def requests_table(stats: LoadStats) -> Table:
    rows = [[s.name, s.methods, s.requests, s.failures, _expected(s), _ms(s.p50_ms), _ms(s.p95_ms), _ms(s.p99_ms),
             round(s.rps, 2)] for s in [*stats.names.values(), stats.aggregate]]
    return Table(title="Requests by name", rows=rows[-MAX_ROWS:],
                 columns=["name", "method", "requests", "failures", "expected statuses", "p50 ms", "p95 ms",
                          "p99 ms", "req/s"])


def failures_table(failures: list[FailureRow]) -> Table:
    rows = [[f.method, f.name, f.error, f.occurrences] for f in failures[:MAX_ROWS]]
    return Table(title="Failures by error", columns=["method", "name", "error", "occurrences"], rows=rows)


def exceptions_table(exceptions: list[ExceptionRow]) -> Table:
    rows = [[e.count, e.message, e.traceback.strip().splitlines()[-1] if e.traceback.strip() else ""]
            for e in exceptions[:MAX_ROWS]]
    return Table(title="Exceptions raised in the locustfile", columns=["count", "message", "where"], rows=rows)


def rate_observation(achieved: float, target: float | None) -> Observation:
    if target is None:
        return Observation(label="achieved request rate", observed=f"{achieved:.1f} req/s")
    floor = SATURATION_FRACTION * target
    return Observation(label="achieved request rate (after ramp-up)", observed=f"{achieved:.1f} req/s",
                       expected=f">= {floor:.1f} req/s ({SATURATION_FRACTION:.0%} of target {target:g} req/s)",
                       ok=achieved >= floor)


def verdict_observations(verdicts: list[Verdict]) -> list[Observation]:
    return [Observation(label=v.label, observed=v.observed_text, expected=v.expected_text, ok=v.ok) for v in verdicts]


def time_series(history: list[HistoryRow], windows: list[WindowResult]) -> TimeSeries | None:
    """Request rate, users, latency percentiles and errors per second, from the Aggregated history."""
    rows = aggregate_rows(history)
    if not rows:
        return None
    origin = rows[0].t
    return TimeSeries(
        title="Load over time", t=[float(r.t - origin) for r in rows],
        series={"rps": [r.rps for r in rows], "users": [float(r.users) for r in rows],
                "p50_ms": [r.p50_ms for r in rows], "p95_ms": [r.p95_ms for r in rows],
                "p99_ms": [r.p99_ms for r in rows], "errors_per_s": [r.failures_per_s for r in rows]},
        unit={"rps": "req/s", "users": "users", "p50_ms": "ms", "p95_ms": "ms", "p99_ms": "ms",
              "errors_per_s": "errors/s"},
        windows=[Window(label=w.label, start=max(0.0, w.start - origin), end=max(0.0, w.end - origin))
                 for w in windows],
    )


def windows_table(windows: list[WindowResult]) -> Table:
    rows = []
    for w in windows:
        a = w.aggregate
        missed = "; ".join(v.describe() for v in w.verdicts if not v.ok)
        rows.append([w.label, round(w.end - w.start, 1), a.requests, a.failures,
                     None if a.error_rate_pct is None else round(a.error_rate_pct, 2), round(a.rps, 1),
                     _ms(a.p95_ms), _ms(a.p99_ms), "ok" if w.ok else missed])
    return Table(title="Windows", rows=rows, columns=["window", "seconds", "requests", "failures", "error %",
                                                      "req/s", "p95 ms (max sample)", "p99 ms (max sample)",
                                                      "thresholds"])


def report_link(html: Path, run_dir: Path) -> Link | None:
    if not html.exists():
        return None
    try:
        href = html.resolve().relative_to(run_dir.resolve()).as_posix()
    except ValueError:
        href = html.resolve().as_uri()
    return Link(title="Locust's own HTML report", href=href)
