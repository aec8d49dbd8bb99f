"""Evidence of a capacity search: the claim against the figure, the step table, and two charts.

* rate chart: each asked rate (horizontal axis) against the rate achieved, p50/p95/p99 and the error
  share, with the capacity found (the knee) and the first rate that broke the SLO marked;
* load chart: the run over time from the request record (asked and achieved rate, p95, errors per
  bucket), each judged window shaded and labelled with its step.
"""

from __future__ import annotations

from typing import Any

from readiness_harness.checks.capacity.params import CapacityParams
from readiness_harness.checks.capacity.session import Session
from readiness_harness.checks.capacity.steps import StepResult, describe
from readiness_harness.contract.evidence import Observation, Table, TimeSeries, Window
from readiness_harness.loadtests.evidence import time_series
from readiness_harness.loadtests.record import Record


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def claim_observation(params: CapacityParams, session: Session, passed: bool | None) -> Observation:
    good, bad = session.search.good, session.search.bad
    if good is None:
        observed = f"below {bad:g} req/s" if bad is not None else "not measured"
    else:
        observed = params.claim.in_users(good) + (f" (broke at {bad:g} req/s)" if bad is not None else "")
    expected = f">= {params.required:g} req/s (claim {params.claim.describe()} x margin {params.margin:g})"
    return Observation(label="capacity (highest rate with the SLO held)", observed=observed, expected=expected,
                       ok=passed)


def _row(s: StepResult) -> list[object]:
    stats, noise = s.stats, s.noise
    error = None if stats.error_rate_pct is None else round(stats.error_rate_pct, 2)
    return [s.index, s.kind, s.asked, round(s.achieved, 1), stats.requests, _ms(stats.p50_ms), _ms(stats.p95_ms),
            _ms(stats.p99_ms), error, s.missed, round(noise.generator_peak, 2), round(noise.generator_runnable, 2),
            round(noise.target, 2), round(noise.target_wait, 2), round(noise.target_runnable, 2),
            round(noise.other, 2), describe(s)]


def steps_table(steps: list[StepResult]) -> Table:
    return Table(title="Steps (each judged after its warm-up; CPU figures are means over the judged window)",
                 rows=[_row(s) for s in steps],
                 columns=["#", "step", "asked req/s", "achieved req/s", "requests", "p50 ms", "p95 ms", "p99 ms",
                          "error %", "missed slots", "generator CPU peak (cores)", "generator busiest thread runnable",
                          "target CPU (cores)", "target waiting for CPU (s/s)", "target busiest thread runnable",
                          "other work CPU (cores)", "outcome"])


def rate_chart(session: Session) -> TimeSeries | None:
    """One point per asked rate (its latest judgment), in rate order; the knee and the first miss marked."""
    latest: dict[float, StepResult] = {}
    for step in session.steps:
        if step.stats.requests:
            latest[step.asked] = step
    if not latest:
        return None
    chosen = [latest[rate] for rate in sorted(latest)]
    series: dict[str, list[float | None]] = {
        "achieved_rps": [round(s.achieved, 1) for s in chosen],
        "asked_rps": [s.asked for s in chosen],
        "p50_ms": [s.stats.p50_ms for s in chosen],
        "p95_ms": [s.stats.p95_ms for s in chosen],
        "p99_ms": [s.stats.p99_ms for s in chosen],
        "error_pct": [None if s.stats.error_rate_pct is None else round(s.stats.error_rate_pct, 2) for s in chosen],
    }
    marks = []
    if session.search.good is not None:
        marks.append(Window(label="capacity (knee)", start=session.search.good, end=session.search.good))
    if session.search.bad is not None:
        marks.append(Window(label="first SLO miss", start=session.search.bad, end=session.search.bad))
    return TimeSeries(title="Latency, achieved rate and errors against the asked rate (one point per rate)",
                      t=[s.asked for s in chosen], series=series, windows=marks, x_label="asked request rate (req/s)",
                      unit={"achieved_rps": "req/s", "asked_rps": "req/s", "p50_ms": "ms", "p95_ms": "ms",
                            "p99_ms": "ms", "error_pct": "%"})


def load_chart(record: Record, steps: list[StepResult]) -> TimeSeries | None:
    """The whole run over time, each judged window shaded."""
    chart = time_series(record, [], {})
    if chart is None or not record.buckets:
        return None
    origin = min(record.buckets) * record.bucket_s
    windows = [Window(label="judged", start=round(s.start - origin, 2), end=round(s.end - origin, 2)) for s in steps]
    return chart.model_copy(update={"title": "The search over time (each step's judged window shaded, in the order of "
                                             "the steps table)", "windows": windows})


def evidence(params: CapacityParams, session: Session, record: Record, passed: bool | None) -> list[Any]:
    items: list[Any] = [claim_observation(params, session, passed)]
    bad = session.search.bad
    broke = [s for s in session.steps if s.broke and s.asked == bad]
    if broke:
        items.append(Observation(label=f"SLO at {bad:g} req/s", observed=broke[-1].reason,
                                 expected=params.slo.describe(), ok=False))
    if session.confirmed is not None:
        c = session.confirmed
        items.append(Observation(label=f"confirmation: {c.end - c.start:.1f} s at {c.asked:g} req/s",
                                 observed=f"p95 {_ms(c.stats.p95_ms)} ms, errors {c.stats.error_rate_pct or 0:.2f}%, "
                                          f"{c.achieved:.1f} req/s achieved", expected=params.slo.describe(), ok=True))
    if session.steps:
        items.append(steps_table(session.steps))
    for chart in (rate_chart(session), load_chart(record, session.steps)):
        if chart is not None:
            items.append(chart)
    return items
