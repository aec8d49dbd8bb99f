"""Locust's CSV files: the per-second stats history, failures grouped by error, locustfile exceptions.

``_stats_history.csv`` (with ``--csv-full-history``) has one row per second for every request
name and one ``Aggregated`` row. Its percentiles are Locust's *current* ones, taken over the last
~10 seconds; its ``Total Request Count`` and ``Total Failure Count`` are cumulative.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_WRAPPED = re.compile(r"^(?:CatchResponseError|ResponseError)\((?P<q>['\"])(?P<text>.*)(?P=q)\)$", re.S)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", errors="replace") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class HistoryRow:
    """One second of one request name (``Aggregated`` for all)."""

    t: int  # wall-clock second
    users: int
    name: str
    rps: float
    failures_per_s: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    total_requests: int
    total_failures: int


@dataclass(frozen=True)
class FailureRow:
    method: str
    name: str
    error: str
    occurrences: int


@dataclass(frozen=True)
class ExceptionRow:
    count: int
    message: str
    traceback: str


def parse_history(path: Path) -> list[HistoryRow]:
    rows = []
    for raw in read_csv(path):
        rows.append(HistoryRow(
            t=int(float(raw["Timestamp"])), users=int(float(raw.get("User Count") or 0)), name=raw["Name"],
            rps=_float(raw.get("Requests/s")) or 0.0, failures_per_s=_float(raw.get("Failures/s")) or 0.0,
            p50_ms=_float(raw.get("50%")), p95_ms=_float(raw.get("95%")), p99_ms=_float(raw.get("99%")),
            total_requests=int(_float(raw.get("Total Request Count")) or 0),
            total_failures=int(_float(raw.get("Total Failure Count")) or 0),
        ))
    return rows


def parse_failures(path: Path) -> list[FailureRow]:
    """Failures grouped by (method, name, error), most frequent first."""
    rows = [FailureRow(method=r.get("Method", ""), name=r.get("Name", ""), error=clean_error(r.get("Error", "")),
                       occurrences=int(_float(r.get("Occurrences")) or 0)) for r in read_csv(path)]
    return sorted(rows, key=lambda row: -row.occurrences)


def parse_exceptions(path: Path) -> list[ExceptionRow]:
    return [ExceptionRow(count=int(_float(r.get("Count")) or 0), message=r.get("Message", ""),
                         traceback=r.get("Traceback", "")) for r in read_csv(path)]


def clean_error(text: str) -> str:
    """``CatchResponseError('HTTP 503 upstream_unavailable')`` -> ``HTTP 503 upstream_unavailable``."""
    match = _WRAPPED.match(text.strip())
    return match["text"] if match else text.strip()


def aggregate_rows(rows: Iterable[HistoryRow]) -> list[HistoryRow]:
    return [row for row in rows if row.name == "Aggregated"]


def steady_rate(per_second: dict[int, int], *, ramp_s: float = 0.0) -> float | None:
    """Requests per second over the whole seconds after the ramp-up (first and last second dropped).

    ``None`` when the run was too short to have such a second; callers then use the overall rate.
    """
    if not per_second:
        return None
    first, last = min(per_second), max(per_second)
    start = first + 1 + int(ramp_s)
    end = last - 1
    if end < start:
        return None
    return sum(per_second.get(second, 0) for second in range(start, end + 1)) / (end - start + 1)


def _float(raw: str | None) -> float | None:
    if raw is None or raw.strip() in ("", "N/A"):
        return None
    return float(raw)
