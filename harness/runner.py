"""The runner: functional checks concurrently (bounded), then load tests and fault scenarios alone.

Only the runner catches unexpected exceptions: a check that raises becomes an ``error`` result
carrying the exception's message, and the run goes on.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from readiness_harness.contract.checklist import Item, Section
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.errors import CheckFailure
from readiness_harness.contract.events import AuditListener, ItemStarted
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import CheckType, Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.signoffs import AppliedWaiver
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.loader import LoadedChecklist
from readiness_harness.secrecy import seal

PHASE_ORDER = (Phase.FUNCTIONAL, Phase.LOAD, Phase.FAULT)


@dataclass(frozen=True)
class PlannedItem:
    section: Section
    item: Item
    check_type: CheckType | None
    phase: Phase
    params: object = None
    timeout_s: float = 30.0
    exclusive: bool = False


def plan(loaded: LoadedChecklist, registry: Registry) -> list[PlannedItem]:
    """Every item with its check type, params, phase and time budget."""
    meta = loaded.checklist.meta
    out = []
    for section, item in loaded.checklist.items():
        if item.check is not None:
            check_type = registry.get(item.check.type)
            if check_type is None:
                raise KeyError(f"check type '{item.check.type}' is not registered")
            default = meta.default_timeout if check_type.phase == Phase.FUNCTIONAL else check_type.default_timeout_s
            exclusive = item.check.exclusive or check_type.phase != Phase.FUNCTIONAL
            out.append(PlannedItem(section, item, check_type, check_type.phase, item.check.params,
                                   item.check.timeout or default, exclusive))
        elif item.attestation is not None:
            check_type = registry.attestation_type()
            params = item.attestation
            out.append(PlannedItem(section, item, check_type, Phase.FUNCTIONAL, params, meta.default_timeout))
        else:
            out.append(PlannedItem(section, item, None, Phase.FUNCTIONAL))
    return out


class Runner:
    def __init__(
        self,
        env: AuditEnvironment,
        *,
        listener: AuditListener | None = None,
        concurrency: int = 8,
        phases: frozenset[Phase] | None = None,
        only: frozenset[str] | None = None,
        tick_s: float = 1.0,
    ) -> None:
        self.env = env
        self.tick_s = tick_s
        self.listener = listener or AuditListener()
        self.concurrency = concurrency
        self.phases = phases
        self.only = only
        self.results: list[ItemResult] = []

    async def run(self, planned: list[PlannedItem]) -> list[ItemResult]:
        for phase in PHASE_ORDER:
            batch = [p for p in planned if p.phase == phase]
            gate = asyncio.Semaphore(self.concurrency)
            await asyncio.gather(*(self._guarded(gate, p) for p in batch if not p.exclusive))
            for planned_item in (p for p in batch if p.exclusive):  # state-changing: each runs alone
                await self._finish(planned_item)
        order = {p.item.id: n for n, p in enumerate(planned)}
        self.results.sort(key=lambda r: order.get(r.id, 0))
        return self.results

    async def _guarded(self, gate: asyncio.Semaphore, planned_item: PlannedItem) -> None:
        async with gate:
            await self._finish(planned_item)

    async def _finish(self, planned_item: PlannedItem) -> None:
        started = time.time()
        result = seal(await self.execute(planned_item), secrets=self.env.target.secret_values,
                      artifacts=self.env.run_dir / "artifacts" / planned_item.item.id)
        item_result = self._apply_waiver(to_item_result(planned_item, result, started))
        self.results.append(item_result)
        self.env.results[item_result.id] = item_result
        self.listener.item_finished(item_result)

    async def execute(self, planned_item: PlannedItem) -> Result:
        item = planned_item.item
        if planned_item.check_type is None:
            reason = item.not_applicable.reason if item.not_applicable else "no check bound"
            return Result(status=Status.NOT_APPLICABLE, message=reason)
        if self.only is not None and item.id not in self.only:
            return Result(status=Status.SKIPPED, message="not selected (--only)")
        if self.phases is not None and planned_item.phase not in self.phases:
            return Result(status=Status.SKIPPED, message=f"{planned_item.phase} phase not selected")
        failure = self.env.target.failure() if item.check is not None else None
        if failure is not None:
            return Result.error(f"not evaluated: {failure}")
        ctx = CheckContext(audit=self.env, item_id=item.id, timeout_s=planned_item.timeout_s,
                           on_progress=lambda fields: self.listener.item_progress(item.id, fields))
        self.listener.item_started(ItemStarted(
            item_id=item.id, title=item.title, severity=item.severity.value, phase=planned_item.phase.value,
            check_type=planned_item.check_type.name, budget_s=planned_item.timeout_s,
            exclusive=planned_item.exclusive))
        ticker = asyncio.ensure_future(self._tick(ctx)) if planned_item.exclusive else None
        try:
            return await self._run_check(planned_item.check_type, planned_item, ctx)
        finally:
            if ticker is not None:
                ticker.cancel()

    async def _run_check(self, check_type: CheckType, planned_item: PlannedItem, ctx: CheckContext) -> Result:
        started = time.monotonic()
        try:
            result = await asyncio.wait_for(check_type.run(planned_item.params, ctx),
                                            planned_item.timeout_s)
        except CheckFailure as exc:
            result = Result.failed(str(exc))
        except TimeoutError:
            result = Result.error(f"timed out after {planned_item.timeout_s:g} s")
        except Exception as exc:  # noqa: BLE001 - the runner is the one place that turns crashes into results
            result = Result.error(f"{type(exc).__name__}: {exc}")
        result.duration_s = round(time.monotonic() - started, 3)
        return result

    async def _tick(self, ctx: CheckContext) -> None:
        """Elapsed time of an item that runs alone, every ``tick_s``, until it finishes."""
        started = time.monotonic()
        while True:
            await asyncio.sleep(self.tick_s)
            ctx.progress(elapsed_s=round(time.monotonic() - started, 1), budget_s=ctx.timeout_s)

    def _apply_waiver(self, result: ItemResult) -> ItemResult:
        if not result.status.failing:
            return result
        waiver = self.env.signoffs.waiver_for(result.id)
        if waiver is None:
            return result
        if waiver.is_expired(self.env.signoffs.today):
            applied = AppliedWaiver(**waiver.model_dump(), expired=True)
            message = f"{result.message} (waiver expired on {waiver.expires})"
            return result.model_copy(update={"waiver": applied, "message": message})
        return result.model_copy(update={"status": Status.WAIVED, "original_status": result.status,
                                         "waiver": AppliedWaiver(**waiver.model_dump())})


def to_item_result(planned_item: PlannedItem, result: Result, started: float) -> ItemResult:
    item = planned_item.item
    kind: Literal["check", "attestation", "not_applicable"] = (
        "check" if item.check else "attestation" if item.attestation else "not_applicable")
    return ItemResult(
        id=item.id, section=planned_item.section.id, section_title=planned_item.section.title,
        title=item.title, severity=item.severity, claimed=item.claimed, source=item.source, kind=kind,
        check_type=item.check.type if item.check else None, covers=item.covers, uncovered=item.uncovered,
        phase=planned_item.phase.value if planned_item.check_type else None,
        status=result.status, message=result.message, duration_s=result.duration_s, started_at=started,
        evidence=result.evidence, measurements=result.measurements,
        attestation=result.attestation,
    )
