"""Which listeners an audit gets, in the order they run at its end.

The journal (as items finish), the reports (index.html, results.json, junit.xml, summary.md), the
SARIF file, the CI step summary when the environment given sets ``GITHUB_STEP_SUMMARY``, then the
run's manifest (it lists what the listeners before it wrote, so it comes after every writer into
the run folder), then the index of every run beside the run folder, and the console lines on
request. Only the CLI passes the process's environment: an audit run from code (a test, the
sensitivity matrix) writes no step summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from readiness_harness.console import console_listener
from readiness_harness.contract.events import AuditListener
from readiness_harness.history import HistoryIndex
from readiness_harness.journal import Journal
from readiness_harness.manifest import ManifestWriter, ci_run_url
from readiness_harness.reports.sarif import SarifWriter
from readiness_harness.reports.step_summary import STEP_SUMMARY_VARIABLE, StepSummary
from readiness_harness.reports.writer import ReportWriter


def standard_listeners(*, console: bool = False, environ: Mapping[str, str] | None = None) -> tuple[AuditListener, ...]:
    """Every output of an audit: the journal (as items finish), the reports, SARIF, the manifest and the
    history index (at the end); ``environ`` (the CI's variables) adds the step summary and the CI run's
    address; ``console`` adds live progress on a terminal, plain lines otherwise."""
    env = environ or {}
    summary = env.get(STEP_SUMMARY_VARIABLE)
    return (Journal(), ReportWriter(), SarifWriter(), *((StepSummary(Path(summary)),) if summary else ()),
            ManifestWriter(url=ci_run_url(env)), HistoryIndex(), *((console_listener(),) if console else ()))
