"""Figures of a set of requests (a request name, or all of them): counts, percentiles, rate.

The harness's figures come from its own request record (:mod:`loadtests.record`); Locust's JSON
file is read only to cross-check the record's total against Locust's own count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

AGGREGATE = "Aggregated"


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
class LoadStats:
    """A whole run's figures, from the record."""

    names: dict[str, NameStats]
    aggregate: NameStats

    def get(self, name: str) -> NameStats | None:
        return self.aggregate if name == AGGREGATE else self.names.get(name)


def locust_total(path: Path) -> int | None:
    """Requests Locust itself counted (its ``--json-file``), or None when it wrote none."""
    try:
        entries = json.loads(path.read_text())
        return sum(int(entry["num_requests"]) for entry in entries)
    except (OSError, ValueError, KeyError, TypeError):
        return None
