"""``results.json``: the audit record as JSON (schema in ``reports/schema/results.schema.json``)."""

from __future__ import annotations

from pathlib import Path

from readiness_harness.contract.record import AuditRecord


def render_json(record: AuditRecord) -> str:
    return record.model_dump_json(indent=2)


def write_json(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_json(record), encoding="utf-8")
    return path
