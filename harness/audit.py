"""One audit, end to end: load, provision, run the phases, tear down, write every report.

Interrupts (SIGINT, SIGTERM) cancel the work; teardown still runs and a partial report is
written from what finished.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from readiness_harness import verdict as verdicts
from readiness_harness.chaos.ledger import Ledger, recover
from readiness_harness.contract.errors import ChecklistError, Problem, TargetError
from readiness_harness.contract.record import AuditRecord, ChecklistInfo, ItemResult, TargetInfo
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.fingerprint import fingerprint
from readiness_harness.journal import Journal
from readiness_harness.loader import LoadedChecklist, load_checklist
from readiness_harness.provision import RunningTarget, external_target, provisioned
from readiness_harness.reports.writer import write_reports
from readiness_harness.runner import PlannedItem, Runner, plan, to_item_result
from readiness_harness.services import audit_services
from readiness_harness.signoffs import SignOffBook, load_signoffs
from readiness_harness.target import load_target

EXIT_APPROVED, EXIT_REJECTED, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass
class AuditOptions:
    checklist: Path
    out_dir: Path = Path("reports/out")
    target: Path | None = None
    base_url: str | None = None
    attestations: Path | None = None
    waivers: Path | None = None
    phases: set[Phase] | None = None
    only: set[str] | None = None
    concurrency: int | None = None
    on_result: Callable[[ItemResult], None] | None = None
    environ: dict[str, str] | None = None


@dataclass
class AuditOutcome:
    record: AuditRecord
    run_dir: Path
    html: Path
    exit_code: int


@dataclass
class _State:
    results: list[ItemResult] = field(default_factory=list)
    target: RunningTarget | None = None
    environment: dict[str, object] = field(default_factory=dict)
    interrupted: str | None = None
    target_error: str | None = None
    notes: list[str] = field(default_factory=list)


def new_run_id(checklist_id: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return f"{checklist_id}-{stamp}-{secrets.token_hex(2)}"


def prepare(options: AuditOptions, registry: Registry) -> tuple[LoadedChecklist, SignOffBook]:
    """Everything that can be validated before a process starts; raises ChecklistError."""
    loaded = load_checklist(options.checklist, registry)
    meta = loaded.checklist.meta
    attestations = options.attestations or (loaded.resolve(meta.attestations) if meta.attestations else None)
    waivers = options.waivers or (loaded.resolve(meta.waivers) if meta.waivers else None)
    known = {item.id for _, item in loaded.checklist.items()}
    book = load_signoffs(attestations, waivers, known_items=known)
    if options.only:
        unknown = sorted(options.only - known)
        if unknown:
            raise ChecklistError([Problem(str(options.checklist), None, "--only", f"no item '{u}' in the checklist")
                                  for u in unknown])
    return loaded, book


def target_path(options: AuditOptions, loaded: LoadedChecklist) -> Path:
    if options.target is not None:
        return options.target
    if loaded.checklist.meta.target is None:
        raise ChecklistError([Problem(str(loaded.path), None, "checklist.target",
                                      "no target file given", "Pass --target FILE or --base-url URL.")])
    return loaded.resolve(loaded.checklist.meta.target)


async def run_audit(options: AuditOptions, registry: Registry) -> AuditOutcome:
    loaded, book = prepare(options, registry)
    spec_and_dir = None if options.base_url else load_target(target_path(options, loaded))
    planned = plan(loaded, registry)
    run_id = new_run_id(loaded.checklist.meta.id)
    run_dir = (options.out_dir / run_id).resolve()  # subprocesses (Locust, schemathesis) run elsewhere
    journal = Journal(run_dir / "journal.jsonl")
    state = _State()
    ledger_dir = options.out_dir.resolve() / ".ledger"
    state.notes += [f"Recovered from an earlier run: {line}" for line in await recover(ledger_dir)]
    ledger = Ledger(ledger_dir, run_id)
    started, started_mono = dt.datetime.now(dt.UTC), time.monotonic()
    work = asyncio.ensure_future(_provision_and_run(options, loaded, book, planned, run_dir, journal, state,
                                                     spec_and_dir, ledger))
    with _interrupts(work, state):
        try:
            await work
        except asyncio.CancelledError:
            state.interrupted = state.interrupted or "cancelled"
        except TargetError as exc:
            state.target_error = str(exc)
        finally:
            journal.close()
            ledger.close(clean=True)
    record = _record(loaded, planned, state, run_id, started, time.monotonic() - started_mono)
    record.signoffs = book.signoff_records()
    html = write_reports(record, run_dir)
    return AuditOutcome(record, run_dir, html, _exit_code(record, state))


async def _provision_and_run(
    options: AuditOptions, loaded: LoadedChecklist, book: SignOffBook, planned: list[PlannedItem],
    run_dir: Path, journal: Journal, state: _State, spec_and_dir: tuple | None, ledger: Ledger,
) -> None:
    if spec_and_dir is None:
        await _run(external_target(options.base_url or ""), options, loaded, book, planned, run_dir, journal, state)
        return
    spec, base_dir = spec_and_dir
    async with provisioned(spec, base_dir=base_dir, log_dir=run_dir / "logs", environ=options.environ,
                           ledger=ledger) as target:
        await _run(target, options, loaded, book, planned, run_dir, journal, state)


async def _run(
    target: RunningTarget, options: AuditOptions, loaded: LoadedChecklist, book: SignOffBook,
    planned: list[PlannedItem], run_dir: Path, journal: Journal, state: _State,
) -> None:
    state.target = target
    state.environment = fingerprint(target)
    state.notes += target.notes
    selected = [p for p in planned if p.check_type is not None and (options.only is None or p.item.id in options.only)
                and (options.phases is None or p.phase in options.phases)]
    env = AuditEnvironment(target=target, run_dir=run_dir, checklist_dir=loaded.directory, signoffs=book,
                           needs=frozenset(n for p in selected if p.check_type for n in p.check_type.needs),
                           notes=state.notes)
    runner = Runner(env, journal, concurrency=options.concurrency or loaded.checklist.meta.concurrency,
                    phases=options.phases, only=options.only, on_result=options.on_result)
    runner.results = state.results
    async with AsyncExitStack() as stack:
        for factory in audit_services():
            await stack.enter_async_context(factory(env))
        await runner.run(planned)


@contextmanager
def _interrupts(work: asyncio.Future[None], state: _State) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    installed = []

    def interrupt(name: str) -> None:
        state.interrupted = state.interrupted or name
        work.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, interrupt, sig.name)
            installed.append(sig)
        except (RuntimeError, ValueError, NotImplementedError):
            pass  # not the main thread: the caller handles interrupts
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _record(
    loaded: LoadedChecklist, planned: list[PlannedItem], state: _State, run_id: str, started: dt.datetime,
    duration: float,
) -> AuditRecord:
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


def _exit_code(record: AuditRecord, state: _State) -> int:
    if state.interrupted:
        return EXIT_INTERRUPTED
    evaluated = [i for i in record.items if i.kind == "check" and i.status not in (Status.ERROR, Status.SKIPPED)]
    if state.target_error or not evaluated and any(i.kind == "check" for i in record.items):
        return EXIT_ENVIRONMENT
    return EXIT_APPROVED if record.verdict == "APPROVED" else EXIT_REJECTED
