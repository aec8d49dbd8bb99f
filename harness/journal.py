"""The journal: one JSON line per finished item, appended as it finishes, so nothing measured is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import ValidationError

from readiness_harness.contract.record import ItemResult


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = path.open("a", encoding="utf-8")

    def append(self, result: ItemResult) -> None:
        self._handle.write(result.model_dump_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def read_journal(path: Path) -> list[ItemResult]:
    """Every complete line of a journal; a line cut by a crash is skipped."""
    out: list[ItemResult] = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(ItemResult.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError):
            continue
    return out
