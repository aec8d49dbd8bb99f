"""The journal: one JSON line per finished item, appended as it finishes, so nothing measured is lost.

A line is always written: should an item hold text that cannot be encoded as UTF-8 (a lone
surrogate that came from the target past every other guard), it is written with that text escaped
rather than lost with the rest of the audit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from pydantic import ValidationError
from pydantic_core import PydanticSerializationError

from readiness_harness.contract.events import AuditListener, AuditStarted
from readiness_harness.contract.record import AuditRecord, ItemResult
from readiness_harness.contract.safetext import serialisable

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
        self._handle.write(journal_line(item) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def journal_line(item: ItemResult) -> str:
    """The item as one line of JSON, text that UTF-8 cannot encode written as escapes."""
    try:
        return item.model_dump_json()
    except PydanticSerializationError:
        return json.dumps(serialisable(item.model_dump(mode="json", fallback=str)))


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
