"""Appends ``summary.md`` to a CI step summary (GitHub Actions' ``GITHUB_STEP_SUMMARY`` file)."""

from __future__ import annotations

from pathlib import Path

from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.summary import render_summary

STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


class StepSummary(AuditListener):
    """At the end of an audit, append the run's Markdown summary to ``path`` (several audits append in turn)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        written = run_dir / "summary.md"
        text = written.read_text(encoding="utf-8") if written.is_file() else render_summary(record)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(text.rstrip("\n") + "\n\n")
