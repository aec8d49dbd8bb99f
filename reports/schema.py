"""The published JSON Schema of ``results.json``, generated from the audit record model.

``python -m readiness_harness.reports.schema`` rewrites ``reports/schema/results.schema.json``;
``python -m readiness_harness.reports.schema --check`` exits 1 when the committed file differs from the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from readiness_harness.contract.record import AuditRecord

SCHEMA_PATH = Path(__file__).parent / "schema" / "results.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def results_schema() -> dict[str, Any]:
    """The schema every ``results.json`` the harness writes validates against."""
    schema = AuditRecord.model_json_schema(mode="serialization")
    schema["title"] = "Readiness audit results (results.json)"
    schema["description"] = ("The record of one audit: every checklist item's status, message, evidence and "
                             "measurements, the verdict, counts, claims, sign-offs and the diff against the "
                             "previous run. Generated from harness.record.AuditRecord.")
    return {"$schema": DIALECT, **schema}


def render_schema() -> str:
    return json.dumps(results_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    expected = render_schema()
    if "--check" in argv:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != expected:
            print(f"{SCHEMA_PATH} is out of date: run `python -m readiness_harness.reports.schema`", file=sys.stderr)
            return 1
        return 0
    SCHEMA_PATH.parent.mkdir(parents=True, exist_ok=True)
    SCHEMA_PATH.write_text(expected, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
