"""The end of an audit: the record built from what finished, and the exit code a pipeline reads.

    0    approved
    1    rejected
    2    usage or checklist error
    3    the harness or the target environment could not run
    4    not proven: only inconclusive, unattested or skipped items block the verdict (nothing
         failed or errored), so a pipeline can retry or wait for sign-off instead of treating it
         as a regression
    130  interrupted
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from readiness_harness import verdict as verdicts
from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.record import AuditRecord, ChecklistInfo, ItemResult, RunEnvironment, TargetInfo
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loader import LoadedChecklist
from readiness_harness.provision import RunningTarget
from readiness_harness.runner import PlannedItem, to_item_result

EXIT_APPROVED, EXIT_REJECTED, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_NOT_PROVEN = 4
EXIT_CODES_HELP = """exit codes of `harness audit`:
  0    approved
  1    rejected: an item failed or errored and blocks the verdict
  2    usage or checklist error (nothing was run)
  3    the harness or the target environment could not run
  4    not proven: only inconclusive, unattested or skipped items block the verdict; retry, or get
       the missing attestations, instead of treating it as a regression
  130  interrupted"""


@dataclass
class AuditState(AuditListener):
    """What the audit learns while it runs; it listens to its own items as they finish."""

    results: list[ItemResult] = field(default_factory=list)
    target: RunningTarget | None = None
    environment: RunEnvironment = field(default_factory=RunEnvironment)
    interrupted: str | None = None
    target_error: str | None = None
    notes: list[str] = field(default_factory=list)

    def item_finished(self, item: ItemResult) -> None:
        self.results.append(item)


@dataclass(frozen=True)
class AuditOutcome:
    record: AuditRecord
    run_dir: Path
    exit_code: int

    @property
    def html(self) -> Path:
        return self.run_dir / "index.html"


def build_record(loaded: LoadedChecklist, planned: list[PlannedItem], state: AuditState, run_id: str,
                 started: dt.datetime, duration: float) -> AuditRecord:
    """Every planned item with its result; items that never ran are skipped (or errored, when the
    target could not run), and an incomplete audit is never approved."""
    finished = {r.id: r for r in state.results}
    reason = (f"the target could not run: {state.target_error}" if state.target_error
              else f"not run: the audit was interrupted ({state.interrupted})")
    items = [finished.get(p.item.id) or _not_run(p, reason, state.target_error is not None) for p in planned]
    meta = loaded.checklist.meta
    target = state.target
    complete = state.interrupted is None and state.target_error is None
    verdict: Literal["APPROVED", "REJECTED"] = verdicts.verdict(items) if complete else "REJECTED"
    notes = [*state.notes, *([f"Target error: {state.target_error}"] if state.target_error else [])]
    return AuditRecord(
        run_id=run_id, verdict=verdict, complete=complete, interrupted=state.interrupted,
        checklist=ChecklistInfo(id=meta.id, title=meta.title, path=str(loaded.path), sha256=loaded.sha256,
                                version=meta.version, signoff_roles=meta.signoff.roles),
        target=TargetInfo(name=(target.spec.name if target and target.spec else "external"),
                          base_url=target.base_url if target else "",
                          provisioned=bool(target and target.provisioned),
                          processes=list(target.processes) if target else []),
        started_at=started.isoformat(timespec="seconds"),
        finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), duration_s=round(duration, 2),
        environment=state.environment, counts=verdicts.counts(items), severity_counts=verdicts.severity_counts(items),
        score=verdicts.score(items), blocking=verdicts.blocking(items), items=items, notes=notes,
    )


def _not_run(planned_item: PlannedItem, reason: str, is_error: bool) -> ItemResult:
    status = Status.ERROR if is_error else Status.SKIPPED
    return to_item_result(planned_item, Result(status=status, message=reason), time.time())


def exit_code(record: AuditRecord, interrupted: str | None, target_error: str | None) -> int:
    if interrupted:
        return EXIT_INTERRUPTED
    evaluated = [i for i in record.items if i.kind == "check" and i.status not in (Status.ERROR, Status.SKIPPED)]
    if target_error or not evaluated and any(i.kind == "check" for i in record.items):
        return EXIT_ENVIRONMENT
    if record.verdict == "APPROVED":
        return EXIT_APPROVED
    blockers = [i for i in record.items if i.blocking]
    if blockers and all(i.status.unproven for i in blockers):
        return EXIT_NOT_PROVEN
    return EXIT_REJECTED
