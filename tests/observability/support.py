"""Audits of the reference service for the observability and security tests."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.record import ItemResult
from readiness_harness.listeners import standard_listeners

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "system_under_test" / "target.yaml"


def write_checklist(folder: Path, sections: str, *, name: str = "checklist.yaml") -> Path:
    """A checklist auditing the reference service; ``@ROOT@`` in ``sections`` is the repository root."""
    header = f"checklist: {{id: obs-sec, title: Observability and security, target: '{TARGET}'}}\n"
    path = folder / name
    path.write_text(header + textwrap.dedent(sections).replace("@ROOT@", str(ROOT)), encoding="utf-8")
    return path


def audit(checklist: Path, monkeypatch: pytest.MonkeyPatch, *, defects: str = "",
          only: set[str] | None = None, prometheus: bool = True) -> dict[str, ItemResult]:
    """Run a whole audit (provisioning, services, phases, teardown); results by item id."""
    monkeypatch.setenv("SUT_DEFECTS", defects)
    monkeypatch.setenv("HARNESS_PROMETHEUS", "on" if prometheus else "off")
    options = AuditOptions(listeners=standard_listeners(),
                           checklist=checklist, out_dir=checklist.parent / "out", only=only)
    outcome = asyncio.run(run_audit(options, default_registry()))
    return {item.id: item for item in outcome.record.items}


def evidence_text(result: ItemResult) -> str:
    return "\n".join(e.model_dump_json() for e in result.evidence)
