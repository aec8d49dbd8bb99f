"""Which listeners an audit gets: the journal and the report writer always, the console on request."""

from __future__ import annotations

from readiness_harness.console import console_listener
from readiness_harness.contract.events import AuditListener
from readiness_harness.journal import Journal
from readiness_harness.reports.writer import ReportWriter


def standard_listeners(*, console: bool = False) -> tuple[AuditListener, ...]:
    """The journal (written as items finish), the reports (at the end) and, optionally, the console
    (live progress on a terminal, plain lines otherwise)."""
    return (Journal(), ReportWriter(), *((console_listener(),) if console else ()))
