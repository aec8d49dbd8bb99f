"""The console while an audit runs: a line per finished item, live progress of long items, the verdict's reason.

On a terminal (:class:`LiveConsole`, with rich) a live area below the finished lines shows each item
that is running (its elapsed and planned time, and what it reports: requests, rate, errors, the
stage it is in) and the phase counts. When stdout is not a terminal (CI logs), :class:`PlainConsole`
prints plain lines instead: a line when a long item starts, one every ``every_s`` seconds while it
runs, and one per finished item.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from readiness_harness.contract.events import AuditListener, AuditStarted, ItemStarted
from readiness_harness.contract.record import AuditRecord, ItemResult
from readiness_harness.contract.safetext import escape_controls

TARGET_ERROR_NOTE = "Target error: "
STATUS_STYLES = {"passed": "green", "failed": "bold red", "error": "bold magenta", "inconclusive": "yellow",
                 "attested": "green", "unattested": "yellow", "waived": "cyan", "not_applicable": "dim",
                 "skipped": "dim"}


def item_line(item: ItemResult) -> str:
    return f"  {item.status.value:<14} {item.severity.value:<8} {item.id}: {_one_line(item.message)}"


def _one_line(message: str, limit: int = 110) -> str:
    """The start of a message on one line: control characters (escape sequences, carriage returns,
    newlines) from the target are written as escapes, never sent to the terminal."""
    return escape_controls(message[:limit], newlines=False)


class ItemLines(AuditListener):
    """One line per finished item: status, severity, id and the start of the message."""

    def item_finished(self, item: ItemResult) -> None:
        print(item_line(item), flush=True)


@dataclass
class _Running:
    started: ItemStarted
    since: float = field(default_factory=time.monotonic)
    fields: dict[str, Any] = field(default_factory=dict)


def describe_progress(running: _Running, now: float) -> str:
    """'12 s of 30 s · 412 requests · 35.2 req/s · 0 errors · fault window'."""
    fields = dict(running.fields)
    elapsed = float(fields.pop("elapsed_s", now - running.since))
    planned = fields.pop("planned_s", None)
    budget = fields.pop("budget_s", running.started.budget_s)
    parts = [f"{elapsed:.0f} s of {float(planned):.0f} s" if planned else f"{elapsed:.0f} s (timeout {budget:g} s)"]
    for name, unit in (("requests", "requests"), ("rps", "req/s"), ("errors", "errors")):
        if name in fields:
            value = fields.pop(name)
            parts.append(f"{value:.1f} {unit}" if isinstance(value, float) else f"{value} {unit}")
    if "stage" in fields:
        parts.append(str(fields.pop("stage")))
    parts += [f"{k}={v}" for k, v in fields.items()]
    return escape_controls(" · ".join(parts), newlines=False)


class _Progress(AuditListener):
    """What both consoles track: the plan per phase, what runs, what finished."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.planned: Mapping[str, int] = {}
        self.done: Counter[str] = Counter()
        self.running: dict[str, _Running] = {}

    def audit_started(self, started: AuditStarted) -> None:
        self.planned = dict(started.phases)

    def item_started(self, started: ItemStarted) -> None:
        with self.lock:
            self.running[started.item_id] = _Running(started)

    def item_progress(self, item_id: str, fields: Mapping[str, Any]) -> None:
        with self.lock:
            if item_id in self.running:
                self.running[item_id].fields.update(fields)

    def item_finished(self, item: ItemResult) -> None:
        with self.lock:
            self.running.pop(item.id, None)
            self.done[item.phase or "functional"] += 1

    def phase_counts(self) -> str:
        return " · ".join(f"{phase} {self.done.get(phase, 0)}/{total}" for phase, total in self.planned.items())


class PlainConsole(_Progress):
    """Plain lines for logs: long items when they start and every ``every_s`` seconds, every item when it ends."""

    def __init__(self, *, every_s: float = 10.0, out: Any = None) -> None:
        super().__init__()
        self.every_s = every_s
        self.out = out or sys.stdout
        self._last: dict[str, float] = {}

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def item_started(self, started: ItemStarted) -> None:
        super().item_started(started)
        if started.exclusive:
            self._last[started.item_id] = time.monotonic()
            self._print(f"  started        {started.phase:<8} {started.item_id} ({started.check_type}, "
                        f"budget {started.budget_s:g} s) [{self.phase_counts()}]")

    def item_progress(self, item_id: str, fields: Mapping[str, Any]) -> None:
        super().item_progress(item_id, fields)
        now = time.monotonic()
        if item_id in self._last and now - self._last[item_id] >= self.every_s:
            self._last[item_id] = now
            with self.lock:
                running = self.running.get(item_id)
                line = describe_progress(running, now) if running else None
            if line:
                self._print(f"  running        {item_id}: {line}")

    def item_finished(self, item: ItemResult) -> None:
        super().item_finished(item)
        self._last.pop(item.id, None)
        self._print(item_line(item))


class LiveConsole(_Progress):
    """A rich live area: running items with their progress, and the phase counts; finished lines above it."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self.console = console or Console()
        self.live: Live | None = None
        self.began = time.monotonic()

    def audit_started(self, started: AuditStarted) -> None:
        super().audit_started(started)
        self.began = time.monotonic()
        self.live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4, transient=True)
        self.live.start()

    def item_finished(self, item: ItemResult) -> None:
        super().item_finished(item)
        line = Text(f"  {item.status.value:<14}", style=STATUS_STYLES.get(item.status.value, ""))
        line.append(f" {item.severity.value:<8} {item.id}: {_one_line(item.message)}")
        self.console.print(line, highlight=False)

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _render(self) -> Group:
        now = time.monotonic()
        table = Table.grid(padding=(0, 2))
        with self.lock:
            rows = [(r.started, describe_progress(r, now)) for r in self.running.values()]
            counts = self.phase_counts()
        for started, progress in rows[:12]:
            table.add_row(Text("▶", style="cyan"), Text(started.item_id, style="bold"), Text(started.phase),
                          Text(progress))
        footer = Text(f"  {counts} · {now - self.began:.0f} s", style="dim")
        return Group(table, footer)


def console_listener(*, stream: Any = None) -> AuditListener:
    """The live console on a terminal, plain lines otherwise."""
    stream = stream or sys.stdout
    return LiveConsole() if stream.isatty() else PlainConsole(out=stream)


def target_error(record: AuditRecord) -> str | None:
    """Why the target could not run, when it could not (its log lines quoted, control characters escaped)."""
    return next((escape_controls(note.removeprefix(TARGET_ERROR_NOTE)) for note in record.notes
                 if note.startswith(TARGET_ERROR_NOTE)), None)
