"""The verdict, counts and readiness score: computed from statuses and severities, never claims."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.status import Status


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


PARTIAL_CREDIT = 0.5  # a pass that verifies only part of its claim earns half its weight


def score(items: list[ItemResult]) -> float:
    """Share of severity weight that passed or was attested (waived and N/A items excluded), 0-100;
    a pass whose check covers its claim only in part counts for PARTIAL_CREDIT of its weight."""
    scored = [i for i in items if i.status.scored]
    total = sum(i.severity.weight for i in scored)
    if total == 0:
        return 0.0
    good = sum(i.severity.weight * (PARTIAL_CREDIT if i.covers == "partial" else 1.0)
               for i in scored if i.status.passing)
    return round(100.0 * good / total, 1)
