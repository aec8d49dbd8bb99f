"""The verdict explained in one line (console and summary.md), and progress while an audit runs."""

from __future__ import annotations

import asyncio
import io
import textwrap

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console

from readiness_harness.console import LiveConsole, PlainConsole, console_listener
from readiness_harness.contract.checklist import Severity
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.events import AuditListener, AuditStarted, ItemStarted
from readiness_harness.contract.explain import explain_verdict
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.loader import load_checklist
from readiness_harness.provision import external_target
from readiness_harness.reports.summary import render_summary
from readiness_harness.runner import Runner, plan
from tests.reports.conftest import make_item, make_record


def test_approved_with_failures_says_why_it_is_still_approved():
    record = make_record([make_item("a", Status.PASSED, severity=Severity.CRITICAL),
                          *(make_item(f"m{n}", Status.FAILED, severity=Severity.MEDIUM) for n in range(3))])
    line = explain_verdict(record)
    assert line == "APPROVED: no critical or high item failed or went unproven; 3 medium items failed"
    assert line in render_summary(record)


def test_rejected_names_what_blocked_and_what_did_not():
    record = make_record([make_item("a", Status.FAILED), make_item("b", Status.FAILED),
                          make_item("c", Status.INCONCLUSIVE, severity=Severity.CRITICAL),
                          make_item("d", Status.FAILED, severity=Severity.LOW),
                          make_item("e", Status.WAIVED, severity=Severity.HIGH)])
    assert explain_verdict(record) == ("REJECTED: 1 critical item inconclusive (c); 2 high items failed (a, b); "
                                       "not blocking: 1 low item failed, 1 failure waived")


def test_an_incomplete_audit_says_so():
    record = make_record([make_item("a", Status.ERROR)], complete=False)
    assert explain_verdict(record).startswith("REJECTED: the target could not run; 1 of 1 items")


class Sleep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(gt=0)


class Events(AuditListener):
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def item_started(self, started: ItemStarted) -> None:
        self.events.append(("started", started.item_id, {"phase": started.phase}))

    def item_progress(self, item_id: str, fields) -> None:
        self.events.append(("progress", item_id, dict(fields)))

    def item_finished(self, item) -> None:
        self.events.append(("finished", item.id, {}))


def _registry() -> Registry:
    registry = Registry()

    @registry.register("sleepy", Sleep, phase=Phase.LOAD)
    async def sleepy(params: Sleep, ctx: CheckContext) -> Result:
        """Sleeps, reporting its own progress."""
        ctx.progress(planned_s=params.seconds, requests=10, rps=20.0, errors=0, stage="warm-up")
        await asyncio.sleep(params.seconds)
        return Result.passed("slept")

    return registry


def test_the_runner_reports_start_progress_and_end_of_an_item_that_runs_alone(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(textwrap.dedent("""
        checklist: {id: p, title: P}
        sections:
          - id: s
            title: S
            items:
              - {id: nap, title: Nap, severity: low, check: {type: sleepy, seconds: 0.35}}
        """))
    registry = _registry()
    events = Events()
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path / "run",
                           checklist_dir=tmp_path)
    runner = Runner(env, listener=events, tick_s=0.1)
    asyncio.run(runner.run(plan(load_checklist(path, registry), registry)))
    kinds = [kind for kind, _, _ in events.events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    progress = [fields for kind, _, fields in events.events if kind == "progress"]
    assert progress[0] == {"planned_s": 0.35, "requests": 10, "rps": 20.0, "errors": 0, "stage": "warm-up"}
    ticks = [f for f in progress if "elapsed_s" in f]
    assert len(ticks) >= 2 and ticks[-1]["elapsed_s"] >= ticks[0]["elapsed_s"]
    assert all(f["budget_s"] > 0 for f in ticks)


def _started(item_id: str = "load-1") -> ItemStarted:
    return ItemStarted(item_id=item_id, title="Load", severity="high", phase="load", check_type="load",
                       budget_s=60.0, exclusive=True)


def test_plain_lines_when_output_is_not_a_terminal():
    out = io.StringIO()
    console = console_listener(stream=out)
    assert isinstance(console, PlainConsole)
    console.every_s = 0.0
    console.audit_started(AuditStarted(run_id="r", run_dir=None, checklist_id="c", checklist_title="C",
                                       planned_items=3, phases={"functional": 2, "load": 1}))
    console.item_started(_started())
    console.item_progress("load-1", {"elapsed_s": 12.0, "planned_s": 30, "rps": 48.5, "errors": 2})
    console.item_finished(make_item("load-1", Status.PASSED, phase="load", message="p95 20 ms"))
    text = out.getvalue()
    assert "started        load     load-1 (load, budget 60 s) [functional 0/2 · load 0/1]" in text
    assert "running        load-1: 12 s of 30 s · 48.5 req/s · 2 errors" in text
    assert "passed         high     load-1: p95 20 ms" in text


def test_the_live_console_shows_running_items_and_phase_counts():
    screen = io.StringIO()
    console = LiveConsole(Console(file=screen, force_terminal=True, width=120))
    console.audit_started(AuditStarted(run_id="r", run_dir=None, checklist_id="c", checklist_title="C",
                                       planned_items=2, phases={"functional": 1, "fault": 1}))
    console.item_started(_started("db-down"))
    console.item_progress("db-down", {"elapsed_s": 5.0, "stage": "fault window"})
    rendered = io.StringIO()
    Console(file=rendered, width=120).print(console._render())
    assert "db-down" in rendered.getvalue() and "fault window" in rendered.getvalue()
    assert "functional 0/1 · fault 0/1" in rendered.getvalue()
    console.item_finished(make_item("db-down", Status.FAILED, phase="fault", message="no recovery"))
    console.audit_finished(make_record([make_item("db-down", Status.FAILED)]), None)
    assert "db-down: no recovery" in screen.getvalue()
