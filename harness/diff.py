"""The diff against the previous run of the same checklist.

Run folders are siblings under one out folder (``reports/out/<run-id>/results.json``). The
previous run is the newest one started no later than this one with the same checklist id.
A previous ``results.json`` that cannot be read is ignored, with a note in the diff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from readiness_harness.contract.record import (
    AuditRecord,
    ItemResult,
    MeasurementChange,
    RunDiff,
    StatusChange,
)

DEFAULT_THRESHOLD = 0.2
_WORSE_WHEN_HIGHER = ("_ms", "_s", "latency", "error", "fail", "timeout", "recover", "duration", "p50", "p9")
_BETTER_WHEN_HIGHER = ("rps", "throughput", "success", "hit", "requests", "users")
_EPSILON = 1e-9


def diff_against_previous(record: AuditRecord, run_dir: Path, *, threshold: float = DEFAULT_THRESHOLD) -> RunDiff:
    """Compare the record with the newest earlier run of its checklist among ``run_dir``'s siblings."""
    previous, notes = find_previous(run_dir.parent, checklist_id=record.checklist.id,
                                    started_at=record.started_at, exclude=run_dir)
    if previous is None:
        return RunDiff(threshold=threshold, notes=[*notes, "No earlier run of this checklist to compare with."])
    diff = compute_diff(previous, record, threshold=threshold)
    diff.notes[:0] = notes
    return diff


def find_previous(out_dir: Path, *, checklist_id: str, started_at: str,
                  exclude: Path | None = None) -> tuple[AuditRecord | None, list[str]]:
    """The newest readable earlier record of the checklist, and notes on the runs that were ignored."""
    notes: list[str] = []
    limit = _when(started_at)
    skip = exclude.resolve() if exclude is not None else None
    candidates: list[tuple[dt.datetime, Path, dict[str, Any]]] = []
    for path in sorted(out_dir.glob("*/results.json")) if out_dir.is_dir() else []:
        folder = path.parent
        if folder.is_symlink() or folder.resolve() == skip:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            same = data["checklist"]["id"] == checklist_id
            when = _when(data["started_at"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if folder.name.startswith(f"{checklist_id}-"):
                notes.append(f"Ignored {folder.name}: its results.json is unreadable ({_reason(exc)}).")
            continue
        if same and when is not None and (limit is None or when <= limit):
            candidates.append((when, path, data))
    for _, path, data in sorted(candidates, key=lambda c: (c[0], c[1].parent.name), reverse=True):
        try:
            return AuditRecord.model_validate(data), notes
        except ValidationError as exc:
            notes.append(f"Ignored {path.parent.name}: its results.json does not match the schema "
                         f"({exc.error_count()} errors).")
    return None, notes


def compute_diff(previous: AuditRecord, current: AuditRecord, *, threshold: float = DEFAULT_THRESHOLD) -> RunDiff:
    before = {item.id: item for item in previous.items}
    after = {item.id: item for item in current.items}
    diff = RunDiff(previous_run_id=previous.run_id, previous_started_at=previous.started_at,
                   previous_verdict=previous.verdict, previous_score=previous.score, threshold=threshold,
                   added=[i for i in after if i not in before], removed=[i for i in before if i not in after])
    for item_id, now in after.items():
        then = before.get(item_id)
        if then is None:
            if now.status.failing:
                diff.new_failures.append(_change(now, None))
            continue
        if then.status != now.status:
            change = _change(now, then)
            diff.changed.append(change)
            if now.status.failing and not then.status.failing:
                diff.new_failures.append(change)
            elif then.status.failing and now.status.passing:
                diff.fixed.append(change)
        diff.measurements += moved_measurements(then, now, threshold=threshold)
    diff.measurements.sort(key=_severity_of_move)
    return diff


def _severity_of_move(move: MeasurementChange) -> tuple[int, float]:
    """Regressions first, then moves of unknown direction, then improvements; biggest first within each."""
    rank = 0 if move.worse else 1 if move.worse is None else 2
    return rank, -(abs(move.change) if move.change is not None else float("inf"))


def moved_measurements(then: ItemResult, now: ItemResult, *, threshold: float) -> list[MeasurementChange]:
    """Measurements present in both runs whose relative change reaches the threshold."""
    out = []
    for name, value in now.measurements.items():
        old = then.measurements.get(name)
        if old is None or old == value:
            continue
        change = (value - old) / abs(old) if old else None
        if change is not None and abs(change) + _EPSILON < threshold:
            continue
        rising = value > old
        direction = worse_when_higher(name)
        out.append(MeasurementChange(item=now.id, name=name, before=old, after=value,
                                     change=None if change is None else round(change, 4),
                                     worse=None if direction is None else rising == direction))
    return out


def worse_when_higher(name: str) -> bool | None:
    """Whether a higher value of the measurement is worse (latency, errors), better (rate), or unknown."""
    lowered = name.lower()
    if any(part in lowered for part in _BETTER_WHEN_HIGHER):
        return False
    if any(part in lowered for part in _WORSE_WHEN_HIGHER):
        return True
    return None


def _change(now: ItemResult, then: ItemResult | None) -> StatusChange:
    return StatusChange(id=now.id, title=now.title, before=then.status if then else None, after=now.status)


def _when(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}"
    if isinstance(exc, KeyError | TypeError):
        return "no checklist id or start time"
    return type(exc).__name__
