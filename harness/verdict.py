"""The verdict, counts and readiness score: computed from statuses and severities, never claims."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from readiness_harness.record import ItemResult
from readiness_harness.result import Status

PASSING = frozenset({Status.PASSED, Status.ATTESTED})
UNSCORED = frozenset({Status.NOT_APPLICABLE, Status.SKIPPED})


def verdict(items: list[ItemResult]) -> Literal["APPROVED", "REJECTED"]:
    """APPROVED only when no critical or high item is failed, errored, inconclusive or unattested."""
    return "REJECTED" if blocking(items) or not items else "APPROVED"


def blocking(items: list[ItemResult]) -> list[str]:
    return [item.id for item in items if item.blocking]


def counts(items: list[ItemResult]) -> dict[str, int]:
    found = Counter(item.status.value for item in items)
    return {status.value: found.get(status.value, 0) for status in Status}


def severity_counts(items: list[ItemResult]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for item in items:
        row = out.setdefault(item.severity.value, {})
        row[item.status.value] = row.get(item.status.value, 0) + 1
    return out


def score(items: list[ItemResult]) -> float:
    """Share of severity weight that passed or was attested (waived and N/A items excluded), 0-100."""
    scored = [i for i in items if i.status not in UNSCORED and i.status != Status.WAIVED]
    total = sum(i.severity.weight for i in scored)
    if total == 0:
        return 0.0
    good = sum(i.severity.weight for i in scored if i.status in PASSING)
    return round(100.0 * good / total, 1)
