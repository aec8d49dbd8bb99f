"""One series of one process judged: its bound over every sample, and its trend after the warm-up.

A series with a limit fails when any sample exceeds it, or when it grows beyond doubt (the lower end of
the slope's confidence interval above zero) fast enough to reach the limit within ``horizon_h``; the
time to the limit is extrapolated from the last sample at that lower end, so a leak is never
overstated, and shown at the fitted slope too ("at +1.8 MB/min, 500 MB in 3 h 40 min"). CPU is judged
on its mean after the warm-up (a rate, not a stock: it has no leak). A series without a limit is shown,
its trend described, and judged on nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from readiness_harness.checks.resources.sampler import LABELS, UNITS, Series
from readiness_harness.checks.resources.trend import Trend, duration, fit

STOCKS = ("rss_mb", "fds", "threads", "connections")


@dataclass(frozen=True)
class SeriesVerdict:
    process: str
    series: str
    limit: float | None
    peak: float | None
    mean: float | None
    last: float | None
    trend: Trend | None
    ok: bool | None  # None: no limit, or not measured
    observed: str
    expected: str

    @property
    def label(self) -> str:
        return f"{self.process}: {LABELS[self.series]}"


def _fmt(value: float, series: str) -> str:
    return f"{value:.1f}" if series in ("rss_mb", "cpu_pct") else f"{value:.0f}"


def _per_minute(trend: Trend, series: str) -> str:
    unit = UNITS[series] if series == "rss_mb" else ""
    slope, low, high = (60 * v for v in (trend.slope, trend.low, trend.high))
    return (f"{slope:+.2f}{(' ' + unit) if unit else ''}/min ({trend.confidence:.0%} CI {low:+.2f} to "
            f"{high:+.2f}, {trend.points} samples)")


def judge_series(series: Series, name: str, limit: float | None, *, warmup_s: float, horizon_h: float,
                 confidence: float) -> SeriesVerdict:
    """The verdict on ``series.values[name]``: bound, trend after ``warmup_s``, time to ``limit``."""
    points = [(t, v) for t, v in zip(series.t, series.values[name], strict=True) if v is not None]
    after = [(t, v) for t, v in points if t >= warmup_s]
    unit = UNITS[name]
    if not points:
        return SeriesVerdict(series.name, name, limit, None, None, None, None, None, "not measured",
                             _expected(name, limit, horizon_h))
    peak = max(v for _, v in points)
    mean = sum(v for _, v in after) / len(after) if after else None
    last = points[-1][1]
    trend = fit([t for t, _ in after], [v for _, v in after], confidence) if name in STOCKS else None
    if name == "cpu_pct":
        cpu_ok = None if limit is None or mean is None else mean <= limit
        observed = "not measured after the warm-up" if mean is None else f"mean {mean:.1f}%, peak {peak:.0f}%"
        return SeriesVerdict(series.name, name, limit, peak, mean, last, None, cpu_ok, observed,
                             _expected(name, limit, horizon_h))
    bound = f" (limit {limit:g} {unit})" if limit is not None else ""  # the claim beside the figure
    parts = [f"peak {_fmt(peak, name)} {unit}{bound}"]
    ok: bool | None = None if limit is None else peak <= limit
    if trend is None:
        parts.append("too few samples after the warm-up for a trend")
        if ok:
            ok = None  # the bound held, but a leak could not be ruled out
    else:
        parts.append(_per_minute(trend, name))
        reach = _time_to(limit, last, trend)
        if reach is not None:
            parts.append(reach[1])
            if reach[0] <= horizon_h * 3600:
                ok = False
        elif trend.significant:
            parts.append("growing")
    return SeriesVerdict(series.name, name, limit, peak, mean, last, trend, ok, "; ".join(parts),
                         _expected(name, limit, horizon_h))


def _time_to(limit: float | None, last: float, trend: Trend) -> tuple[float, str] | None:
    """(seconds to the limit at the slope's lower bound, its description), when the growth is beyond doubt."""
    if limit is None or not trend.significant:
        return None
    left = max(0.0, limit - last)
    at_low, at_fit = left / trend.low, left / trend.slope
    return at_low, (f"{limit:g} reached in {duration(at_fit)} at the fitted slope (in {duration(at_low)} at its "
                    f"lower bound)")


def _expected(name: str, limit: float | None, horizon_h: float) -> str:
    if limit is None:
        return "no limit set (shown only)"
    if name == "cpu_pct":
        return f"mean <= {limit:g}% of a core after the warm-up"
    return f"<= {limit:g} {UNITS[name]}, and no growth reaching it within {horizon_h:g} h"
