"""``python -m readiness_harness.audit_all CHECKLIST...``: the index page of ``make audit-all``.

``make audit-all`` audits each checklist in turn (a rejected or broken one does not stop the
others); this module then writes ``index.html`` in the reports folder: the checklists given lead,
in their order, each with its newest report (verdict, score, claims headline) and the history of
its last runs (see harness/history.py), followed by any other checklist with runs there. A
checklist given without a finished run is listed on stderr. Every audit also refreshes this page
at its end, so it stays current after a plain ``make audit``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from readiness_harness.checks import default_registry
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.record import AuditRecord
from readiness_harness.diff import find_previous
from readiness_harness.history import history_records
from readiness_harness.loader import load_checklist
from readiness_harness.reports.index import write_index


def latest_records(out_dir: Path, checklists: Sequence[Path]) -> tuple[list[AuditRecord], list[str]]:
    """The newest finished record of each checklist, in the order given, and what was missing."""
    registry = default_registry()
    now = dt.datetime.now(dt.UTC).isoformat()
    records: list[AuditRecord] = []
    missing: list[str] = []
    for path in checklists:
        try:
            checklist_id = load_checklist(path, registry).checklist.meta.id
        except ChecklistError as exc:
            missing.append(f"{path}: invalid checklist ({len(exc.problems)} problem(s))")
            continue
        record, _ = find_previous(out_dir, checklist_id=checklist_id, started_at=now)
        if record is None:
            missing.append(f"{path}: no finished run in {out_dir}")
        else:
            records.append(record)
    return records, missing


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m readiness_harness.audit_all", description=__doc__.splitlines()[0])
    parser.add_argument("checklists", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("reports/out"), help="reports folder (default reports/out)")
    args = parser.parse_args(argv)
    records, missing = latest_records(args.out, args.checklists)
    for line in missing:
        print(f"audit-all: {line}", file=sys.stderr)
    index = write_index(args.out, history_records(args.out, first=[r.checklist.id for r in records]))
    approved = sum(record.verdict == "APPROVED" for record in records)
    print(f"{index}: {len(records)} report(s), {approved} approved")
    return 0 if records else 1


if __name__ == "__main__":
    sys.exit(main())
