"""Services that live for a whole audit around the check phases (for example a Prometheus
that scrapes the target, or the fault ledger's recovery of a crashed run).

Each factory takes the audit environment and returns an async context manager; it may put
what checks need into ``env.services`` and notes for the report into ``env.notes``. They are
entered in order after provisioning and exited in reverse order, whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from readiness_harness.environment import AuditEnvironment

ServiceFactory = Callable[["AuditEnvironment"], AbstractAsyncContextManager[None]]


def audit_services() -> list[ServiceFactory]:
    """The factories every audit runs, in order."""
    from readiness_harness.prometheus import prometheus_service

    return [prometheus_service]
