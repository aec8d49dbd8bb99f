"""Thresholds against measured stats: one :class:`Verdict` per limit, with the figure and the limit.

Pure functions over anything that looks like :class:`~loadtests.results.NameStats` (the run's
stats, or one window's), so the same limits apply to a whole run and to a fault window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from readiness_harness.loadtests.spec import Thresholds, ThresholdSet

AGGREGATE_SCOPE = "aggregate"
LATENCY = frozenset({"p50", "p95", "p99"})


class Measured(Protocol):
    @property
    def requests(self) -> int: ...
    @property
    def p50_ms(self) -> float | None: ...
    @property
    def p95_ms(self) -> float | None: ...
    @property
    def p99_ms(self) -> float | None: ...
    @property
    def rps(self) -> float: ...
    @property
    def error_rate_pct(self) -> float | None: ...
    @property
    def expected_total(self) -> int: ...


@dataclass(frozen=True)
class Verdict:
    """One limit checked: ``p95 812 ms > limit 500 ms`` when it missed."""

    scope: str
    metric: str
    observed: float | None
    limit: float
    ok: bool
    note: str = ""

    @property
    def measured(self) -> bool:
        return self.observed is not None

    @property
    def missed(self) -> bool:
        """A limit measured and missed (a limit not measured is neither met nor missed)."""
        return self.observed is not None and not self.ok

    @property
    def label(self) -> str:
        shown = _NAMES.get(self.metric, self.metric)
        return shown if self.scope == AGGREGATE_SCOPE else f"{self.scope}: {shown}"

    @property
    def observed_text(self) -> str:
        if self.observed is None:
            return f"not measured ({self.note or 'no requests'})"
        return f"{_fmt(self.metric, self.observed)}{_UNITS[self.metric]}"

    @property
    def expected_text(self) -> str:
        return f"{_RELATIONS[self.metric][True]} {_fmt(self.metric, self.limit)}{_UNITS[self.metric]}"

    def describe(self) -> str:
        if self.observed is None:
            return f"{self.label} not measured ({self.note or 'no requests'})"
        unit, shown = _UNITS[self.metric], _fmt(self.metric, self.observed)
        relation = _RELATIONS[self.metric][self.ok]
        return f"{self.label} {shown}{unit} {relation} {_fmt(self.metric, self.limit)}{unit}"


_NAMES = {"min_rps": "rps", "min_expected": "expected statuses", "max_expected": "expected statuses"}
_UPPER = ("p50", "p95", "p99", "error_rate", "max_expected")
_UNITS = {"p50": " ms", "p95": " ms", "p99": " ms", "error_rate": "%", "min_rps": " req/s",
          "min_expected": "", "max_expected": ""}
_RELATIONS = {m: {True: "<=" if m in ("max_expected", "error_rate") else "<", False: "> limit"} for m in _UPPER}
_RELATIONS.update({m: {True: ">=", False: "< min"} for m in ("min_rps", "min_expected")})


def _fmt(metric: str, value: float) -> str:
    if metric in ("min_expected", "max_expected"):
        return f"{value:.0f}"
    if metric == "error_rate":
        return f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"
    return f"{value:.1f}" if metric == "min_rps" else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def observed(stats: Measured, metric: str) -> float | None:
    values = {"p50": stats.p50_ms, "p95": stats.p95_ms, "p99": stats.p99_ms, "error_rate": stats.error_rate_pct,
              "min_rps": stats.rps, "min_expected": stats.expected_total, "max_expected": stats.expected_total}
    return values[metric]


def check(limits: ThresholdSet, stats: Measured, scope: str = AGGREGATE_SCOPE) -> list[Verdict]:
    """Each limit set in ``limits`` against ``stats``; a latency limit is strict (``p95 < 50``)."""
    out = []
    for metric in ("p50", "p95", "p99", "error_rate", "min_rps", "min_expected", "max_expected"):
        limit = getattr(limits, metric)
        if limit is None:
            continue
        value = observed(stats, metric)
        if value is None:
            out.append(Verdict(scope, metric, None, float(limit), ok=False))
            continue
        if metric in ("min_rps", "min_expected"):
            ok = value >= limit
        elif metric in ("max_expected", "error_rate"):
            ok = value <= limit
        else:
            ok = value < limit
        out.append(Verdict(scope, metric, float(value), float(limit), ok=ok))
    return out


def check_all(thresholds: Thresholds, aggregate: Measured, names: Mapping[str, Measured]) -> list[Verdict]:
    """Aggregate limits, then each ``per_name`` entry; a name with no requests is not measured."""
    out = check(thresholds, aggregate)
    for name, limits in thresholds.per_name.items():
        stats = names.get(name)
        if stats is None:
            seen = ", ".join(sorted(names)) or "none"
            out += [Verdict(name, metric, None, float(limit), ok=False, note=f"no requests named '{name}'; "
                            f"names seen: {seen}")
                    for metric, limit in limits.model_dump().items() if limit is not None]
            continue
        out += check(limits, stats, name)
    return out


def summary(verdicts: list[Verdict]) -> str:
    """The limits missed or not measured, each with its figure."""
    return "; ".join(v.describe() for v in verdicts if not v.ok)
