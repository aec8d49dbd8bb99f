"""Which listeners an audit gets, in the order they run at its end.

The journal (as items finish), the reports (index.html, results.json, junit.xml, summary.md), the
SARIF file, the CI step summary when ``GITHUB_STEP_SUMMARY`` is set, then the run's manifest (it
lists what the listeners before it wrote, so it comes after every writer into the run folder), then
the index of every run beside the run folder, and the console lines on request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from readiness_harness.console import ItemLines
from readiness_harness.contract.events import AuditListener
from readiness_harness.history import HistoryIndex
from readiness_harness.journal import Journal
from readiness_harness.manifest import ManifestWriter, ci_run_url
from readiness_harness.reports.sarif import SarifWriter
from readiness_harness.reports.step_summary import STEP_SUMMARY_VARIABLE, StepSummary
from readiness_harness.reports.writer import ReportWriter


def standard_listeners(*, console: bool = False, environ: Mapping[str, str] | None = None) -> tuple[AuditListener, ...]:
    """Every output of an audit; ``environ`` (default the process's) says whether a CI step summary is kept."""
    env = os.environ if environ is None else environ
    summary = env.get(STEP_SUMMARY_VARIABLE)
    return (Journal(), ReportWriter(), SarifWriter(), *((StepSummary(Path(summary)),) if summary else ()),
            ManifestWriter(url=ci_run_url(env)), HistoryIndex(), *((ItemLines(),) if console else ()))
