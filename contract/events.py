"""The events of one audit, and the listener interface that journals, reporters and consoles implement.

The audit emits them; it never knows who listens. Listeners compute nothing the audit needs: the
verdict, the diff and every figure are in the record before ``audit_finished``.

    audit_started     the run folder is named, the plan known (items per phase)
    item_started      a check begins (its phase, type and time budget)
    item_progress     how far a running check is: a mapping of fields, all optional; the console
                      knows ``elapsed_s``, ``planned_s`` (how long it is meant to take), ``budget_s``
                      (its timeout), ``requests``, ``rps``, ``errors``, ``stage`` (e.g. "fault
                      window") and shows any other field as name=value
    item_finished     its final result (waivers applied)
    audit_finished    the record is complete
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    phases: Mapping[str, int] = field(default_factory=dict)  # planned items per phase


@dataclass(frozen=True)
class ItemStarted:
    """A check begins: what it is and how long it may take."""

    item_id: str
    title: str
    severity: str
    phase: str
    check_type: str
    budget_s: float
    exclusive: bool


class AuditListener:
    """Override what you need; every method is called on the audit's own thread and may not block long."""

    def audit_started(self, started: AuditStarted) -> None:
        """The run folder is named; nothing has started yet."""

    def item_started(self, started: ItemStarted) -> None:
        """A check begins."""

    def item_progress(self, item_id: str, fields: Mapping[str, Any]) -> None:
        """A running check says how far it is (see the module's docstring for the fields)."""

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

    def item_started(self, started: ItemStarted) -> None:
        for listener in self.listeners:
            listener.item_started(started)

    def item_progress(self, item_id: str, fields: Mapping[str, Any]) -> None:
        for listener in self.listeners:
            listener.item_progress(item_id, fields)

    def item_finished(self, item: ItemResult) -> None:
        for listener in self.listeners:
            listener.item_finished(item)

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        for listener in self.listeners:
            listener.audit_finished(record, run_dir)
