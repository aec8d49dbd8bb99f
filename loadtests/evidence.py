"""Evidence for a load result, all from the request record: tables, observations, the chart's series.

The chart's series are per bucket, never rolling averages: requests and errors per second of each
bucket, and the p95 of the requests completed in it. A long run is shown in wider buckets (the
record's 100 ms buckets added up, at most ``MAX_POINTS`` of them); the windows are shaded over
exactly the buckets their table rows count, and marks (the fault's injection and rollback) are
drawn as zero-width windows.
"""

from __future__ import annotations

import math
from pathlib import Path

from readiness_harness.contract.evidence import Link, Observation, Table, TimeSeries, Window
from readiness_harness.loadtests.history import ExceptionRow
from readiness_harness.loadtests.noise import Noise
from readiness_harness.loadtests.record import Cell, Record, Span
from readiness_harness.loadtests.results import AGGREGATE, LoadStats
from readiness_harness.loadtests.thresholds import Verdict
from readiness_harness.loadtests.windows import WindowResult

MAX_ROWS = 50
MAX_POINTS = 300
WIDTHS = (1, 2, 5, 10, 20, 50, 100, 200, 600)  # in record buckets


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _counts(counts: dict[int, int]) -> str:
    return ", ".join(f"{status}×{count}" for status, count in sorted(counts.items()) if count)


def _codes(cell: Cell | None) -> str:
    if cell is None:
        return ""
    return ", ".join(f"{status or 'no answer'}×{count}" for status, count in sorted(cell.codes.items()))


def requests_table(stats: LoadStats, whole: Span) -> Table:
    rows = []
    for s in [*stats.names.values(), stats.aggregate]:
        cell = whole.aggregate if s.name == AGGREGATE else whole.names.get(s.name)
        rows.append([s.name, s.methods, s.requests, s.failures, _counts(s.expected), _codes(cell), _ms(s.p50_ms),
                     _ms(s.p95_ms), _ms(s.p99_ms), round(s.rps, 2)])
    return Table(title="Requests by name (whole run)", rows=rows[-MAX_ROWS:],
                 columns=["name", "method", "requests", "failures", "expected statuses", "statuses", "p50 ms",
                          "p95 ms", "p99 ms", "req/s"])


def failures_table(whole: Span) -> Table | None:
    found = sorted(((count, name, error) for name, cell in whole.names.items() for error, count in cell.errors.items()),
                   key=lambda entry: -entry[0])
    rows: list[list[object]] = [[name, error, count] for count, name, error in found]
    if not rows:
        return None
    return Table(title="Failures by error", columns=["name", "error", "occurrences"], rows=rows[:MAX_ROWS])


def exceptions_table(exceptions: list[ExceptionRow]) -> Table:
    rows = [[e.count, e.message, e.traceback.strip().splitlines()[-1] if e.traceback.strip() else ""]
            for e in exceptions[:MAX_ROWS]]
    return Table(title="Exceptions raised in the locustfile", columns=["count", "message", "where"], rows=rows)


def rate_observation(achieved: float, target: float | None, tolerance: float) -> Observation:
    if target is None:
        return Observation(label="achieved request rate", observed=f"{achieved:.1f} req/s")
    low, high = (1 - tolerance) * target, (1 + tolerance) * target
    return Observation(label="achieved request rate (after ramp-up)", observed=f"{achieved:.1f} req/s",
                       expected=f"{low:.1f}-{high:.1f} req/s (target {target:g} req/s ± {tolerance:.0%})",
                       ok=low <= achieved <= high)


def noise_observation(noise: Noise) -> Observation:
    return Observation(label="host CPU during the load", observed=noise.describe(),
                       expected="other work not saturating the host", ok=not noise.saturated_by_others)


def verdict_observations(verdicts: list[Verdict]) -> list[Observation]:
    return [Observation(label=v.label, observed=v.observed_text, expected=v.expected_text,
                        ok=v.ok if v.measured else None) for v in verdicts]


def windows_table(windows: list[WindowResult]) -> Table:
    rows = []
    for w in windows:
        a = w.aggregate
        missed = "; ".join(v.describe() for v in w.verdicts if not v.ok)
        rows.append([w.label, round(w.end - w.start, 1), a.requests, a.failures,
                     None if a.error_rate_pct is None else round(a.error_rate_pct, 2), _counts(a.expected),
                     round(a.rps, 1), _ms(a.p95_ms), _ms(a.p99_ms), missed or ("ok" if w.verdicts else "")])
    return Table(title="Windows (the shaded buckets of the chart)", rows=rows,
                 columns=["window", "seconds", "requests", "failures", "error %", "expected statuses", "req/s",
                          "p95 ms", "p99 ms", "thresholds"])


def time_series(record: Record, windows: list[WindowResult], marks: dict[str, float]) -> TimeSeries | None:
    """Per-bucket request rate, errors, p95, users and asked rate; windows shaded, marks drawn."""
    bounds = record.bounds()
    if bounds is None:
        return None
    first, last = min(record.buckets), max(record.buckets)
    count = last - first + 1
    width = next((w for w in WIDTHS if count / w <= MAX_POINTS), WIDTHS[-1])
    seconds = width * record.bucket_s
    t: list[float] = []
    rps: list[float | None] = []
    errors: list[float | None] = []
    p95: list[float | None] = []
    users: list[float | None] = []
    asked: list[float | None] = []
    for start in range(first, last + 1, width):
        cell, user_count, rates = Cell(), 0, []
        for index in range(start, min(start + width, last + 1)):
            bucket = record.buckets.get(index)
            if bucket is None:
                continue
            cell.merge(bucket.total())
            user_count = max(user_count, bucket.users)
            if bucket.rate is not None:
                rates.append(bucket.rate)
        t.append(round((start - first) * record.bucket_s, 3))
        rps.append(round(cell.requests / seconds, 2))
        errors.append(round(cell.failures / seconds, 2))
        p95.append(cell.quantile(0.95))
        users.append(float(user_count))
        asked.append(round(sum(rates) / len(rates), 2) if rates else None)
    origin = first * record.bucket_s
    series: dict[str, list[float | None]] = {"rps": rps, "p95_ms": p95, "errors_per_s": errors, "users": users}
    if any(a is not None for a in asked):
        series["asked_rps"] = asked
    shaded = [_on_grid(w, origin, seconds) for w in windows]
    shaded += [Window(label=label, start=round(at - origin, 3), end=round(at - origin, 3))
               for label, at in marks.items()]
    return TimeSeries(title=f"Load over time (per {_width(seconds)} bucket, by completion time)", t=t, series=series,
                      unit={"rps": "req/s", "asked_rps": "req/s", "users": "users", "p95_ms": "ms",
                            "errors_per_s": "errors/s"}, windows=shaded)


def _width(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:g} s"


def report_link(html: Path, run_dir: Path) -> Link | None:
    if not html.exists():
        return None
    try:
        href = html.resolve().relative_to(run_dir.resolve()).as_posix()
    except ValueError:
        href = html.resolve().as_uri()
    return Link(title="Locust's own HTML report (Locust's own counting: expected statuses are failures there)",
                href=href)


def _on_grid(window: WindowResult, origin: float, step: float) -> Window:
    """A window's shading on the chart's points: an outer-edged window widened to whole points (every
    point holding a request it counted lies inside the shading), an inner-edged one narrowed to them."""
    start, end = (window.start - origin) / step, (window.end - origin) / step
    if window.edges == "outer":
        start, end = math.floor(start + 1e-9), math.ceil(end - 1e-9)
    else:
        start, end = math.ceil(start - 1e-9), math.floor(end + 1e-9)
    return Window(label=window.label, start=round(start * step, 3), end=round(max(start, end) * step, 3))
