"""Locust's CSV file of exceptions raised in the locustfile (not request failures: the record has those)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ExceptionRow:
    count: int
    message: str
    traceback: str


def parse_exceptions(path: Path) -> list[ExceptionRow]:
    if not path.exists():
        return []
    with path.open(newline="", errors="replace") as handle:
        rows = list(csv.DictReader(handle))
    return [ExceptionRow(count=_int(r.get("Count")), message=r.get("Message", ""), traceback=r.get("Traceback", ""))
            for r in rows]


def _int(raw: str | None) -> int:
    try:
        return int(float(raw or 0))
    except ValueError:
        return 0
