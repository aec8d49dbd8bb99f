"""The events of one audit, and the listener interface that journals, reporters and consoles implement.

The audit emits them; it never knows who listens. Listeners compute nothing the audit needs: the
verdict, the diff and every figure are in the record before ``audit_finished``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from readiness_harness.contract.record import AuditRecord, ItemResult


@dataclass(frozen=True)
class AuditStarted:
    """What is known once the checklist is loaded and the run folder named, before anything starts."""

    run_id: str
    run_dir: Path
    checklist_id: str
    checklist_title: str
    planned_items: int
    configuration: tuple[tuple[str, Path], ...] = ()
    """The files the audit is configured by, each with its role: checklist, target, attestations, waivers."""


class AuditListener:
    """Override what you need; every method is called on the audit's own thread and may not block long."""

    def audit_started(self, started: AuditStarted) -> None:
        """The run folder is named; nothing has started yet."""

    def item_finished(self, item: ItemResult) -> None:
        """One item has its final result (waivers applied)."""

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        """The record is complete (verdict, diff, notes); teardown is over."""


class Listeners(AuditListener):
    """Several listeners as one, called in order."""

    def __init__(self, listeners: tuple[AuditListener, ...] = ()) -> None:
        self.listeners = listeners

    def audit_started(self, started: AuditStarted) -> None:
        for listener in self.listeners:
            listener.audit_started(started)

    def item_finished(self, item: ItemResult) -> None:
        for listener in self.listeners:
            listener.item_finished(item)

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        for listener in self.listeners:
            listener.audit_finished(record, run_dir)
