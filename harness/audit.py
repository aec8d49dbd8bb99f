"""One audit, end to end: load, provision, run the phases, tear down, complete the record.

The audit emits events (``audit_started``, ``item_finished``, ``audit_finished``) to the listeners
its options name; the journal, the report writer and the console are such listeners, wired by the
CLI. The record is complete (verdict, diff, notes) before any listener sees it.

Interrupts (SIGINT, SIGTERM) cancel the work; teardown still runs and a partial record is handed
to the listeners from what finished.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from readiness_harness.chaos.ledger import Ledger, recover
from readiness_harness.contract.errors import ChecklistError, Problem, TargetError
from readiness_harness.contract.events import AuditListener, AuditStarted, Listeners
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.crossref import named_target, raise_for_references
from readiness_harness.diff import diff_against_previous
from readiness_harness.environment import AuditEnvironment
from readiness_harness.fingerprint import fingerprint
from readiness_harness.loader import LoadedChecklist, load_checklist
from readiness_harness.outcome import EXIT_INTERRUPTED, AuditOutcome, AuditState, build_record, exit_code
from readiness_harness.provision import RunningTarget, external_target, provisioned
from readiness_harness.runner import PlannedItem, Runner, plan
from readiness_harness.services import audit_services
from readiness_harness.signoffs import SignOffBook, load_signoffs
from readiness_harness.target import TargetSpec, load_target

__all__ = ["EXIT_INTERRUPTED", "AuditOptions", "AuditOutcome", "run_audit"]


@dataclass(frozen=True)
class AuditOptions:
    """Everything one audit is asked to do; the CLI builds it from its arguments."""

    checklist: Path
    out_dir: Path = Path("reports/out")
    target: Path | None = None
    base_url: str | None = None
    attestations: Path | None = None
    waivers: Path | None = None
    phases: frozenset[Phase] | None = None
    only: frozenset[str] | None = None
    concurrency: int | None = None
    environ: dict[str, str] | None = None
    listeners: tuple[AuditListener, ...] = ()


@dataclass(frozen=True)
class _Plan:
    """An audit after validation: what to run, where, and with which sign-offs."""

    options: AuditOptions
    loaded: LoadedChecklist
    book: SignOffBook
    planned: list[PlannedItem]
    target: tuple[TargetSpec, Path] | None
    run_id: str
    run_dir: Path


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
    raise_for_references(loaded, registry,
                         target_file=None if options.base_url else options.target or named_target(loaded))
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


def configuration_files(audit: _Plan) -> tuple[tuple[str, Path], ...]:
    """The files this audit reads its configuration from, with their roles (for the run's manifest)."""
    options, loaded = audit.options, audit.loaded
    meta = loaded.checklist.meta
    found: list[tuple[str, Path | None]] = [
        ("checklist", loaded.path),
        ("target", None if options.base_url else target_path(options, loaded)),
        ("attestations", options.attestations or (loaded.resolve(meta.attestations) if meta.attestations else None)),
        ("waivers", options.waivers or (loaded.resolve(meta.waivers) if meta.waivers else None)),
    ]
    return tuple((role, path) for role, path in found if path is not None)


def _plan(options: AuditOptions, registry: Registry) -> _Plan:
    loaded, book = prepare(options, registry)
    target = None if options.base_url else load_target(target_path(options, loaded))
    run_id = new_run_id(loaded.checklist.meta.id)
    run_dir = (options.out_dir / run_id).resolve()  # subprocesses (Locust, schemathesis) run elsewhere
    return _Plan(options, loaded, book, plan(loaded, registry), target, run_id, run_dir)


async def run_audit(options: AuditOptions, registry: Registry) -> AuditOutcome:
    """Run one audit; raises ChecklistError before anything starts when a file is invalid."""
    audit = _plan(options, registry)
    state = AuditState()
    listeners = Listeners((state, *options.listeners))
    meta = audit.loaded.checklist.meta
    listeners.audit_started(AuditStarted(run_id=audit.run_id, run_dir=audit.run_dir, checklist_id=meta.id,
                                         checklist_title=meta.title, planned_items=len(audit.planned),
                                         configuration=configuration_files(audit),

                                         phases=Counter(p.phase.value for p in audit.planned)))
    ledger_dir = options.out_dir.resolve() / ".ledger"
    state.notes += [f"Recovered from an earlier run: {line}" for line in await recover(ledger_dir)]
    ledger = Ledger(ledger_dir, audit.run_id)
    started, started_mono = dt.datetime.now(dt.UTC), time.monotonic()
    work = asyncio.ensure_future(_provision_and_run(audit, state, ledger, listeners))
    with _interrupts(work, state):
        try:
            await work
        except asyncio.CancelledError:
            state.interrupted = state.interrupted or "cancelled"
        except TargetError as exc:
            state.target_error = str(exc)
        finally:
            ledger.close(clean=True)
        record = build_record(audit.loaded, audit.planned, state, audit.run_id, started,
                              time.monotonic() - started_mono)
        record.signoffs = audit.book.signoff_records()
        record.diff = diff_against_previous(record, audit.run_dir)
        listeners.audit_finished(record, audit.run_dir)
    return AuditOutcome(record, audit.run_dir, exit_code(record, state.interrupted, state.target_error))


async def _provision_and_run(audit: _Plan, state: AuditState, ledger: Ledger, listener: AuditListener) -> None:
    if audit.target is None:
        await _run(external_target(audit.options.base_url or ""), audit, state, listener)
        return
    spec, base_dir = audit.target
    async with provisioned(spec, base_dir=base_dir, log_dir=audit.run_dir / "logs", environ=audit.options.environ,
                           ledger=ledger) as target:
        await _run(target, audit, state, listener)


async def _run(target: RunningTarget, audit: _Plan, state: AuditState, listener: AuditListener) -> None:
    options = audit.options
    state.target = target
    state.environment = fingerprint(target)
    state.notes += target.notes
    selected = [p for p in audit.planned if p.check_type is not None
                and (options.only is None or p.item.id in options.only)
                and (options.phases is None or p.phase in options.phases)]
    env = AuditEnvironment(target=target, run_dir=audit.run_dir, checklist_dir=audit.loaded.directory,
                           signoffs=audit.book, notes=state.notes,
                           needs=frozenset(n for p in selected if p.check_type for n in p.check_type.needs))
    runner = Runner(env, listener=listener,
                    concurrency=options.concurrency or audit.loaded.checklist.meta.concurrency,
                    phases=options.phases, only=options.only)
    async with AsyncExitStack() as stack:
        for factory in audit_services():
            await stack.enter_async_context(factory(env))
        await runner.run(audit.planned)


@contextmanager
def _interrupts(work: asyncio.Future[None], state: AuditState) -> Iterator[None]:
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
