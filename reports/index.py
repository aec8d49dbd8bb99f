"""``reports/out/index.html``: one page linking the report of every run of ``make audit-all``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.claims import ClaimsAudit, audit_claims
from readiness_harness.reports.html import environment


@dataclass(frozen=True)
class IndexRow:
    record: AuditRecord
    href: str
    claims: ClaimsAudit


def index_rows(records: Iterable[AuditRecord]) -> list[IndexRow]:
    """One row per record, linking ``<run-id>/index.html`` (run folders sit beside the index)."""
    return [IndexRow(record, f"{record.run_id}/index.html", audit_claims(record.items)) for record in records]


def render_index(records: Iterable[AuditRecord], *, title: str = "Readiness audits") -> str:
    rows = index_rows(records)
    approved = sum(row.record.verdict == "APPROVED" for row in rows)
    return environment().get_template("index.html.j2").render(title=title, rows=rows, approved=approved)


def write_index(out_dir: Path, records: Iterable[AuditRecord], *, title: str = "Readiness audits") -> Path:
    """Write ``out_dir/index.html`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    path.write_text(render_index(records, title=title), encoding="utf-8")
    return path
