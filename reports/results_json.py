"""``results.json``: the audit record as JSON (schema in ``reports/schema/results.schema.json``).

The file is always written: text that UTF-8 cannot encode (a lone surrogate that got past the
guards where evidence is made) is written as its escape rather than losing the report.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic_core import PydanticSerializationError

from readiness_harness.contract.record import AuditRecord
from readiness_harness.contract.safetext import serialisable


def render_json(record: AuditRecord) -> str:
    try:
        return record.model_dump_json(indent=2)
    except PydanticSerializationError:
        return json.dumps(serialisable(record.model_dump(mode="json", fallback=str)), indent=2)


def write_json(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_json(record), encoding="utf-8")
    return path
