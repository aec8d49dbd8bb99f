"""Evidence of a resources check: one table of every series, and one chart per series with its fitted trend."""

from __future__ import annotations

from readiness_harness.checks.resources.judge import SeriesVerdict
from readiness_harness.checks.resources.sampler import LABELS, UNITS, Series
from readiness_harness.contract.evidence import Table, TimeSeries, Window


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def summary_table(verdicts: list[SeriesVerdict], warmup_s: float) -> Table:
    rows = []
    for v in verdicts:
        trend = v.trend
        rows.append([v.process, LABELS[v.series], UNITS[v.series], _round(v.peak), _round(v.mean), _round(v.last),
                     None if trend is None else round(60 * trend.slope, 3),
                     None if trend is None else f"{60 * trend.low:+.3f} to {60 * trend.high:+.3f}",
                     v.limit, {True: "ok", False: "exceeded or leaking", None: "shown only"}[v.ok]])
    return Table(title=f"Resource series (trends fitted after the {warmup_s:g} s warm-up, per minute)", rows=rows,
                 columns=["process", "series", "unit", "peak", "mean after warm-up", "last", "slope per min",
                          "slope confidence interval", "limit", "verdict"])


def charts(series: list[Series], verdicts: list[SeriesVerdict], warmup_s: float) -> list[TimeSeries]:
    """A chart per series that was measured: the samples and, after the warm-up, the fitted line."""
    out = []
    for verdict in verdicts:
        samples = next(s for s in series if s.name == verdict.process)
        values = samples.values[verdict.series]
        if not any(v is not None for v in values):
            continue
        name = f"{verdict.process} {verdict.series}"
        data: dict[str, list[float | None]] = {name: values}
        if verdict.trend is not None:
            trend = verdict.trend
            data[f"{name} trend"] = [round(trend.at(t), 3) if t >= warmup_s else None for t in samples.t]
        unit = UNITS[verdict.series]
        title = f"{verdict.process}: {LABELS[verdict.series]} ({unit})"
        if verdict.trend is not None:
            title += f", trend {60 * verdict.trend.slope:+.2f} {unit}/min"
        warmup = [Window(label="warm-up (not fitted)", start=0.0, end=warmup_s)] if warmup_s > 0 else []
        out.append(TimeSeries(title=title, t=samples.t, series=data, unit=dict.fromkeys(data, unit), windows=warmup))
    return out
