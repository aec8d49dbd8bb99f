"""The journal: one JSON line per finished item, appended as it finishes, so nothing measured is lost."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from readiness_harness.contract.events import AuditListener, AuditStarted
from readiness_harness.contract.record import AuditRecord, ItemResult

JOURNAL_NAME = "journal.jsonl"


class Journal(AuditListener):
    """Appends every finished item to ``journal.jsonl`` in the run folder, flushed to disk at once."""

    def __init__(self) -> None:
        self._handle: IO[str] | None = None

    def audit_started(self, started: AuditStarted) -> None:
        started.run_dir.mkdir(parents=True, exist_ok=True)
        self._handle = (started.run_dir / JOURNAL_NAME).open("a", encoding="utf-8")

    def item_finished(self, item: ItemResult) -> None:
        if self._handle is None:
            return
        self._handle.write(item.model_dump_json() + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


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
