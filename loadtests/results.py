"""Locust's output files, parsed: per-name stats from the JSON file, failures and history from CSV.

The JSON file (``--json-file``) holds each request name's full response-time histogram and its
per-second counts, written once at the end; percentiles here are computed from it exactly as
Locust computes them. The ``_stats.csv`` file is rewritten every second, so it is read only when
Locust was stopped before it wrote the JSON file.

Requests a locustfile tagged as expected (``name [429]``, see :mod:`loadtests.common`) are folded
back into their name and counted apart in :attr:`NameStats.expected`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_harness.loadtests.history import read_csv

AGGREGATE = "Aggregated"
TAGGED = re.compile(r"^(?P<name>.*) \[(?P<status>\d{3})\]$")


def split_name(name: str) -> tuple[str, int | None]:
    """``"portfolio [429]"`` -> ``("portfolio", 429)``; an untagged name has no status."""
    match = TAGGED.match(name)
    return (match["name"], int(match["status"])) if match else (name, None)


def percentile(histogram: dict[int, int], total: int, fraction: float) -> float | None:
    """Locust's own percentile over a ``{rounded ms: count}`` histogram."""
    if total <= 0 or not histogram:
        return None
    wanted = int(total * fraction)
    seen = 0
    for value in sorted(histogram, reverse=True):
        seen += histogram[value]
        if total - seen <= wanted:
            return float(value)
    return 0.0


class Counts:
    """Derived figures of anything with ``requests``, ``failures`` and ``expected`` counts."""

    requests: int
    failures: int
    expected: dict[int, int]

    @property
    def error_rate_pct(self) -> float | None:
        return 100.0 * self.failures / self.requests if self.requests else None

    @property
    def expected_total(self) -> int:
        return sum(self.expected.values())


@dataclass
class NameStats(Counts):
    """One request name (or the aggregate): counts, latency percentiles in ms, request rate."""

    name: str
    requests: int = 0
    failures: int = 0
    expected: dict[int, int] = field(default_factory=dict)
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    avg_ms: float | None = None
    max_ms: float | None = None
    rps: float = 0.0
    methods: str = ""


@dataclass
class _Merged:
    requests: int = 0
    failures: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    histogram: Counter[int] = field(default_factory=Counter)
    expected: Counter[int] = field(default_factory=Counter)
    methods: set[str] = field(default_factory=set)

    def add(self, entry: dict[str, Any], status: int | None) -> None:
        self.requests += int(entry["num_requests"])
        self.failures += int(entry["num_failures"])
        self.total_ms += float(entry.get("total_response_time") or 0)
        self.max_ms = max(self.max_ms, float(entry.get("max_response_time") or 0))
        self.histogram.update({int(k): int(v) for k, v in (entry.get("response_times") or {}).items()})
        self.methods.add(str(entry.get("method") or ""))
        if status is not None:
            self.expected[status] += int(entry["num_requests"]) - int(entry["num_failures"])

    def stats(self, name: str, span_s: float) -> NameStats:
        timed = sum(self.histogram.values())  # requests with a response time, as Locust counts them
        pct = {q: percentile(dict(self.histogram), timed, q) for q in (0.5, 0.95, 0.99)}
        return NameStats(name=name, requests=self.requests, failures=self.failures, expected=dict(self.expected),
                         p50_ms=pct[0.5], p95_ms=pct[0.95], p99_ms=pct[0.99],
                         avg_ms=self.total_ms / self.requests if self.requests else None,
                         max_ms=self.max_ms if self.requests else None,
                         rps=self.requests / span_s if span_s > 0 else 0.0,
                         methods="/".join(sorted(m for m in self.methods if m)))


@dataclass
class LoadStats:
    """Everything the harness reads from one Locust run."""

    names: dict[str, NameStats]
    aggregate: NameStats
    per_second: dict[int, int]
    source: str  # "json" or "csv"

    def get(self, name: str) -> NameStats | None:
        return self.aggregate if name == AGGREGATE else self.names.get(name)


def parse_json(path: Path) -> LoadStats:
    """The ``--json-file`` output: a list of per-(name, method) entries with histograms."""
    entries: list[dict[str, Any]] = json.loads(path.read_text())
    merged: dict[str, _Merged] = {}
    total = _Merged()
    per_second: Counter[int] = Counter()
    starts, lasts = [], []
    for entry in entries:
        base, status = split_name(str(entry["name"]))
        merged.setdefault(base, _Merged()).add(entry, status)
        total.add(entry, status)
        per_second.update({int(k): int(v) for k, v in (entry.get("num_reqs_per_sec") or {}).items()})
        starts.append(float(entry["start_time"]))
        if entry.get("last_request_timestamp"):
            lasts.append(float(entry["last_request_timestamp"]))
    span = (max(lasts) - min(starts)) if starts and lasts else 0.0
    names = {name: m.stats(name, span) for name, m in sorted(merged.items())}
    return LoadStats(names=names, aggregate=total.stats(AGGREGATE, span), per_second=dict(per_second), source="json")


def parse_stats_csv(path: Path) -> LoadStats:
    """``_stats.csv`` (Locust's last one-second snapshot): used only when the JSON file is missing."""
    names: dict[str, NameStats] = {}
    aggregate = NameStats(AGGREGATE)
    for row in read_csv(path):
        base, status = split_name(row["Name"])
        stats = NameStats(base, requests=_int(row["Request Count"]), failures=_int(row["Failure Count"]),
                          p50_ms=_num(row.get("50%")), p95_ms=_num(row.get("95%")), p99_ms=_num(row.get("99%")),
                          avg_ms=_num(row.get("Average Response Time")), max_ms=_num(row.get("Max Response Time")),
                          rps=_num(row.get("Requests/s")) or 0.0, methods=row.get("Type", ""))
        if row["Name"] == AGGREGATE and not row.get("Type"):
            aggregate = stats
            continue
        if status is not None:
            stats.expected = {status: stats.requests - stats.failures}
        names[base] = _combine(names[base], stats) if base in names else stats
    return LoadStats(names=names, aggregate=aggregate, per_second={}, source="csv")


def _combine(a: NameStats, b: NameStats) -> NameStats:
    """Two rows of one name (a tagged one): counts add up; percentiles are the larger (no histogram)."""
    def worst(x: float | None, y: float | None) -> float | None:
        return max(v for v in (x, y) if v is not None) if x is not None or y is not None else None

    expected = Counter(a.expected) + Counter(b.expected)
    return NameStats(a.name, requests=a.requests + b.requests, failures=a.failures + b.failures,
                     expected=dict(expected), p50_ms=worst(a.p50_ms, b.p50_ms), p95_ms=worst(a.p95_ms, b.p95_ms),
                     p99_ms=worst(a.p99_ms, b.p99_ms), avg_ms=a.avg_ms, max_ms=worst(a.max_ms, b.max_ms),
                     rps=a.rps + b.rps, methods=a.methods or b.methods)


def _num(raw: str | None) -> float | None:
    if raw is None or raw.strip() in ("", "N/A"):
        return None
    return float(raw)


def _int(raw: str | None) -> int:
    value = _num(raw)
    return int(value) if value is not None else 0
