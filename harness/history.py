"""The runs already on disk, for the history in ``reports/out/index.html``.

Run folders are named ``<checklist-id>-<YYYYmmdd-HHMMSS>-<hex>``, so the newest runs of each
checklist are found from the names alone and only those ``results.json`` files are read. A folder
whose results cannot be read is left out (the report of that run says nothing reliable).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.index import write_index

RUN_FOLDER = re.compile(r"^(?P<checklist>.+)-(?P<stamp>\d{8}-\d{6})-[0-9a-f]{4}$")
RUNS_PER_CHECKLIST = 10


def _read(path: Path) -> AuditRecord | None:
    try:
        return AuditRecord.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def history_records(out_dir: Path, *, per_checklist: int = RUNS_PER_CHECKLIST,
                    first: Sequence[str] = ()) -> list[AuditRecord]:
    """The newest runs of every checklist in ``out_dir``; checklist ids in ``first`` lead, in that order,
    then the others, most recently run first."""
    folders: dict[str, list[tuple[str, Path]]] = {}
    for folder in out_dir.iterdir() if out_dir.is_dir() else []:
        found = RUN_FOLDER.match(folder.name)
        if found and not folder.is_symlink() and (folder / "results.json").is_file():
            folders.setdefault(found["checklist"], []).append((found["stamp"], folder))
    groups: dict[str, list[AuditRecord]] = {}
    for runs in folders.values():
        for _, folder in sorted(runs, reverse=True)[:per_checklist]:
            record = _read(folder / "results.json")
            if record is not None:
                groups.setdefault(record.checklist.id, []).append(record)
    newest = {cid: max(r.started_at for r in records) for cid, records in groups.items()}
    order = [cid for cid in first if cid in groups]
    order += sorted((cid for cid in groups if cid not in order), key=lambda cid: newest[cid], reverse=True)
    return [record for cid in order for record in groups[cid]]


def write_history_index(out_dir: Path, *, first: Sequence[str] = ()) -> Path:
    return write_index(out_dir, history_records(out_dir, first=first))


class HistoryIndex(AuditListener):
    """At the end of an audit, rewrite the index beside the run folder with the run in its history."""

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        write_history_index(run_dir.parent)
