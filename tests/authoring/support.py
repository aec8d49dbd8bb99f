"""Paths and small helpers shared by the authoring tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCHEMAS = ROOT / "schemas"
THIRD_PARTY_BIN = Path(os.environ.get("HARNESS_THIRD_PARTY_HTTPBIN", "/opt/third-party/httpbin")) / "bin"


def shipped_checklists() -> list[Path]:
    """Every checklist file the repository ships (those with a top-level `checklist:`)."""
    found = [*sorted((ROOT / "checklists").glob("*.yaml")), *sorted((ROOT / "checklists" / "seeds").glob("*.yaml")),
             *sorted(EXAMPLES.glob("*/checklist.yaml"))]
    return [p for p in found if isinstance(yaml.safe_load(p.read_text()), dict)
            and "checklist" in yaml.safe_load(p.read_text())]


def shipped_targets() -> list[Path]:
    return [*sorted((ROOT / "system_under_test").glob("target*.yaml")), *sorted(EXAMPLES.glob("*/target.yaml"))]


def checklist_with(check: dict, *, target: str | None = None) -> dict:
    """A one-item checklist document around ``check``."""
    meta = {"id": "t", "title": "T", **({"target": target} if target else {})}
    return {"checklist": meta, "sections": [{"id": "s", "title": "S", "items": [
        {"id": "i", "title": "I", "severity": "high", "check": check}]}]}


def gunicorn() -> str | None:
    """gunicorn of the third-party httpbin install (.ci/run), or one on PATH with httpbin importable."""
    candidate = THIRD_PARTY_BIN / "gunicorn"
    return str(candidate) if candidate.exists() else shutil.which("gunicorn")
