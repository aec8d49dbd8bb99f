"""Audits of a service that is already running (a hostile test server), from checklist text."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.record import ItemResult
from readiness_harness.listeners import standard_listeners
from readiness_harness.outcome import AuditOutcome


def checklist(folder: Path, items: str, *, name: str = "checklist.yaml") -> Path:
    """A one-section checklist holding ``items`` (YAML list entries, indented as written)."""
    path = folder / name
    body = textwrap.indent(textwrap.dedent(items).strip("\n"), "      ")
    path.write_text("checklist: {id: hostile, title: Hostile target}\nsections:\n  - id: s\n    title: Checks\n"
                    f"    items:\n{body}\n", encoding="utf-8")
    return path


def audit_url(path: Path, base_url: str, **options: object) -> AuditOutcome:
    """A whole audit of ``base_url`` with every standard output written under ``path``'s folder."""
    opts = AuditOptions(checklist=path, base_url=base_url, out_dir=path.parent / "out",
                        listeners=standard_listeners(), **options)  # type: ignore[arg-type]
    return asyncio.run(run_audit(opts, default_registry()))


def by_id(outcome: AuditOutcome) -> dict[str, ItemResult]:
    return {item.id: item for item in outcome.record.items}
