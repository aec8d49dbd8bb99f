"""``reports/out/index.html``: every checklist's newest report, and its history.

Per checklist: the newest run (verdict, score, claims headline, blocking items), the last runs with
their verdict and score, and small trend charts (inline SVG polylines, oldest run on the left) of
the score and of the key measurements of its load-phase items (request rate, latency percentiles,
error rate, capacity figures). Everything comes from the records given; nothing is measured here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.claims import ClaimsAudit, audit_claims
from readiness_harness.reports.html import environment

KEY_MEASUREMENTS = ("rps", "p95_ms", "p99_ms", "error_rate_pct")
MAX_TRENDS = 12
WIDTH, HEIGHT, PAD = 160.0, 36.0, 3.0


@dataclass(frozen=True)
class IndexRow:
    record: AuditRecord
    href: str
    claims: ClaimsAudit


@dataclass(frozen=True)
class Trend:
    """One measurement over the runs, oldest first, as the points of a small SVG chart."""

    label: str
    values: list[float | None]
    points: str
    dots: list[tuple[float, float]]

    @property
    def last(self) -> float | None:
        return next((v for v in reversed(self.values) if v is not None), None)

    @property
    def first(self) -> float | None:
        return next((v for v in self.values if v is not None), None)


@dataclass(frozen=True)
class ChecklistHistory:
    latest: IndexRow
    runs: list[IndexRow]
    trends: list[Trend]


def index_rows(records: Iterable[AuditRecord]) -> list[IndexRow]:
    """One row per record, linking ``<run-id>/index.html`` (run folders sit beside the index)."""
    return [IndexRow(record, f"{record.run_id}/index.html", audit_claims(record.items)) for record in records]


def trend(label: str, values: list[float | None]) -> Trend:
    present = [v for v in values if v is not None]
    low, high = (min(present), max(present)) if present else (0.0, 0.0)
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    dots = []
    for n, value in enumerate(values):
        if value is None:
            continue
        share = 0.5 if high == low else (value - low) / (high - low)
        dots.append((round(PAD + n * step, 1), round(HEIGHT - PAD - share * (HEIGHT - 2 * PAD), 1)))
    return Trend(label, values, " ".join(f"{x},{y}" for x, y in dots), dots)


def key_measurements(records: list[AuditRecord]) -> list[tuple[str, str]]:
    """(item id, measurement) pairs worth a trend: key figures of load-phase items, as they first appear."""
    seen: list[tuple[str, str]] = []
    for record in records:
        for item in record.items:
            if item.phase != "load":
                continue
            for name in item.measurements:
                key = name in KEY_MEASUREMENTS or "capacity" in name or name.startswith("max_")
                if key and (item.id, name) not in seen:
                    seen.append((item.id, name))
    return seen[:MAX_TRENDS]


def checklist_history(records: list[AuditRecord]) -> ChecklistHistory:
    """The runs of one checklist, newest first in the table and oldest first in the charts."""
    newest_first = sorted(records, key=lambda r: (r.started_at, r.run_id), reverse=True)
    oldest_first = list(reversed(newest_first))
    trends = [trend("score", [r.score for r in oldest_first])]
    for item_id, name in key_measurements(oldest_first):
        values = [next((i.measurements.get(name) for i in r.items if i.id == item_id), None) for r in oldest_first]
        trends.append(trend(f"{item_id} · {name}", values))
    rows = index_rows(newest_first)
    return ChecklistHistory(latest=rows[0], runs=rows, trends=trends)


def histories(records: Iterable[AuditRecord]) -> list[ChecklistHistory]:
    """Records grouped by checklist id, checklists in the order they first appear."""
    groups: dict[str, list[AuditRecord]] = {}
    for record in records:
        groups.setdefault(record.checklist.id, []).append(record)
    return [checklist_history(group) for group in groups.values()]


def render_index(records: Iterable[AuditRecord], *, title: str = "Readiness audits") -> str:
    found = histories(records)
    approved = sum(h.latest.record.verdict == "APPROVED" for h in found)
    return environment().get_template("index.html.j2").render(title=title, histories=found, approved=approved,
                                                              width=WIDTH, height=HEIGHT)


def write_index(out_dir: Path, records: Iterable[AuditRecord], *, title: str = "Readiness audits") -> Path:
    """Write ``out_dir/index.html`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    temporary = out_dir / f".index.html.{os.getpid()}"
    temporary.write_text(render_index(records, title=title), encoding="utf-8")
    temporary.replace(path)
    return path
