"""The runner turns crashes and hangs into ``error`` results and keeps going."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from pydantic import BaseModel, ConfigDict

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.events import AuditStarted
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.journal import Journal, read_journal
from readiness_harness.loader import load_checklist
from readiness_harness.provision import external_target
from readiness_harness.runner import Runner, plan
from readiness_harness.signoffs import SignOffBook, Waiver


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def fake_registry(log: list[str]) -> Registry:
    registry = Registry()

    @registry.register("ok", NoParams)
    async def ok(params: NoParams, ctx: CheckContext) -> Result:
        """Always passes."""
        log.append(ctx.item_id)
        return Result.passed("fine")

    @registry.register("boom", NoParams)
    async def boom(params: NoParams, ctx: CheckContext) -> Result:
        """Raises."""
        raise RuntimeError("the check exploded")

    @registry.register("hang", NoParams)
    async def hang(params: NoParams, ctx: CheckContext) -> Result:
        """Never returns."""
        await asyncio.sleep(3600)
        return Result.passed("unreachable")

    @registry.register("fail", NoParams, phase=Phase.LOAD)
    async def fail(params: NoParams, ctx: CheckContext) -> Result:
        """Fails."""
        return Result.failed("missed the bar")

    return registry


CHECKLIST = """
checklist: {id: runner, title: Runner}
sections:
  - id: s
    title: S
    items:
      - {id: a, title: A, severity: high, check: {type: ok}}
      - {id: b, title: B, severity: high, check: {type: boom}}
      - {id: c, title: C, severity: high, check: {type: hang, timeout: 0.3}}
      - {id: d, title: D, severity: low, check: {type: ok}}
      - {id: e, title: E, severity: high, check: {type: fail}}
"""


def run(write_yaml, tmp_path, log, *, signoffs=None, phases=None):
    registry = fake_registry(log)
    loaded = load_checklist(write_yaml("c.yaml", CHECKLIST), registry)
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path / "run",
                           checklist_dir=tmp_path, signoffs=signoffs or SignOffBook())
    journal = Journal()
    journal.audit_started(AuditStarted(run_id="r", run_dir=tmp_path / "run", checklist_id="c", checklist_title="C",
                                       planned_items=5))
    results = asyncio.run(Runner(env, listener=journal, phases=phases).run(plan(loaded, registry)))
    journal.audit_finished(None, tmp_path / "run")  # type: ignore[arg-type]
    return {r.id: r for r in results}, read_journal(tmp_path / "run" / "journal.jsonl")


def test_raise_and_hang_become_errors_and_the_rest_runs(write_yaml, tmp_path):
    log: list[str] = []
    results, journal = run(write_yaml, tmp_path, log)
    assert results["b"].status == Status.ERROR
    assert "RuntimeError: the check exploded" in results["b"].message
    assert results["c"].status == Status.ERROR
    assert "timed out after 0.3 s" in results["c"].message
    assert results["a"].status == results["d"].status == Status.PASSED
    assert results["e"].status == Status.FAILED
    assert sorted(log) == ["a", "d"]
    assert sorted(r.id for r in journal) == ["a", "b", "c", "d", "e"]


def test_waiver_accepts_failure_until_it_expires(write_yaml, tmp_path):
    today = dt.date(2026, 1, 10)
    valid = Waiver(item="e", justification="accepted for the beta launch", approver="CTO",
                   expires=dt.date(2026, 2, 1))
    results, _ = run(write_yaml, tmp_path, [], signoffs=SignOffBook(waivers=[valid], today=today))
    assert results["e"].status == Status.WAIVED and results["e"].original_status == Status.FAILED
    expired = valid.model_copy(update={"expires": dt.date(2026, 1, 1)})
    results, _ = run(write_yaml, tmp_path / "again", [], signoffs=SignOffBook(waivers=[expired], today=today))
    assert results["e"].status == Status.FAILED
    assert "waiver expired" in results["e"].message


@pytest.mark.parametrize("phases", [{Phase.FUNCTIONAL}])
def test_unselected_phases_are_skipped(write_yaml, tmp_path, phases):
    results, _ = run(write_yaml, tmp_path, [], phases=phases)
    assert results["e"].status == Status.SKIPPED
    assert results["a"].status == Status.PASSED
