"""Writes every output of one audit into its run folder and points ``latest`` at it."""

from __future__ import annotations

import os
from pathlib import Path

from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.html import write_html
from readiness_harness.reports.junit import write_junit
from readiness_harness.reports.results_json import write_json
from readiness_harness.reports.summary import write_summary


class ReportWriter(AuditListener):
    """At the end of an audit: index.html, results.json, junit.xml and summary.md, then ``latest``."""

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        write_reports(record, run_dir)


def write_reports(record: AuditRecord, run_dir: Path) -> Path:
    """Write index.html, results.json, junit.xml and summary.md; return the HTML path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(record, run_dir / "results.json")
    write_junit(record, run_dir / "junit.xml")
    write_summary(record, run_dir / "summary.md")
    html = write_html(record, run_dir / "index.html")
    point_latest(run_dir)
    return html


def point_latest(run_dir: Path) -> None:
    latest = run_dir.parent / "latest"
    temporary = run_dir.parent / f".latest-{os.getpid()}"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(run_dir.name, target_is_directory=True)
    temporary.replace(latest)
