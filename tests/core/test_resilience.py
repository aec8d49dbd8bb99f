"""The harness's own resilience: an unreachable fault proxy, a target that dies mid-audit,
SIGTERM during a load test. Each ends with a written report and a documented exit code."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.net import free_port
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from tests.conftest import REFERENCE_TARGET
from tests.core.test_provision import processes_with, wait_until_gone

READER = """
from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def root(self):
        self.client.get("/")
"""


def write_reader(path: Path) -> Path:
    """A locustfile that reads / every 100 ms per user."""
    path.write_text(READER)
    return path


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def test_unreachable_proxy_api_errors_fault_items_and_the_rest_runs(write_yaml, tmp_path, monkeypatch):
    monkeypatch.setenv("TOXIPROXY_URL", f"http://127.0.0.1:{free_port()}")
    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: noproxy, title: No proxy, target: {REFERENCE_TARGET}}}
        sections:
          - id: s
            title: S
            items:
              - id: read
                title: Portfolio read
                severity: high
                check: {{type: http, path: /v1/wallets/ethereum/0x00000000219ab540356cbb839cbe05303d7705fa/portfolio,
                         headers: {{X-API-Key: "{{secret.pro_key}}"}}, expect: {{status: 200}}}}
              - id: fault
                title: Primary down
                severity: high
                check:
                  type: chaos
                  steady_state: [{{name: health, request: {{path: /health}}}}]
                  faults: [{{proxy: upstream_primary, down: true}}]
        """)
    outcome = asyncio.run(run_audit(AuditOptions(listeners=standard_listeners(),
                                                 checklist=checklist, out_dir=tmp_path / "out"), default_registry()))
    items = {i.id: i for i in outcome.record.items}
    assert items["read"].status == Status.PASSED
    assert items["fault"].status == Status.ERROR and "fault proxy API is unreachable" in items["fault"].message
    assert outcome.exit_code == 1
    assert any("Fault injection unavailable" in note for note in outcome.record.notes)


def _killer_registry(*, then_raise: bool):
    registry = default_registry()

    @registry.register("kill_target", NoParams)
    async def kill_target(params: NoParams, ctx: CheckContext) -> Result:
        """Kills the target's web process."""
        process = ctx.target.process("web")
        process.send(signal.SIGKILL)
        for _ in range(100):
            if not process.alive:
                break
            await asyncio.sleep(0.05)
        if then_raise:
            raise RuntimeError("the target went away")
        return Result.passed("killed")

    return registry


def _killer_checklist(write_yaml, static_target) -> Path:
    return write_yaml("c.yaml", f"""
        checklist: {{id: dies, title: Dies, target: {static_target}}}
        sections:
          - id: s
            title: S
            items:
              - {{id: kill, title: Kill, severity: low, check: {{type: kill_target, exclusive: true}}}}
              - {{id: after, title: After, severity: high, check: {{type: http, path: /, exclusive: true}}}}
        """)


def test_target_dying_mid_audit_errors_the_rest_naming_the_cause(write_yaml, static_target, tmp_path):
    registry = _killer_registry(then_raise=False)
    options = AuditOptions(listeners=standard_listeners(),
                           checklist=_killer_checklist(write_yaml, static_target), out_dir=tmp_path / "out")
    outcome = asyncio.run(run_audit(options, registry))
    after = next(i for i in outcome.record.items if i.id == "after")
    assert after.status == Status.ERROR
    assert "target process 'web' exited" in after.message
    assert outcome.exit_code == 1  # something was evaluated
    assert (outcome.run_dir / "index.html").exists()


def test_nothing_evaluated_exits_3(write_yaml, static_target, tmp_path):
    registry = _killer_registry(then_raise=True)
    options = AuditOptions(listeners=standard_listeners(),
                           checklist=_killer_checklist(write_yaml, static_target), out_dir=tmp_path / "out")
    outcome = asyncio.run(run_audit(options, registry))
    assert {i.status for i in outcome.record.items} == {Status.ERROR}
    assert outcome.exit_code == 3


def test_sigterm_during_a_load_test_stops_locust_and_writes_a_partial_report(write_yaml, static_target, tmp_path):
    locustfile = write_reader(tmp_path / f"lf_{os.getpid()}.py")
    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: loadterm, title: Load, target: {static_target}}}
        sections:
          - id: s
            title: S
            items:
              - {{id: page, title: Page, severity: low, check: {{type: http, path: /}}}}
              - id: load
                title: Load
                severity: high
                check: {{type: load, locustfile: {locustfile}, users: 2, duration_s: 60, timeout: 120}}
        """)
    out = tmp_path / "out"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "harness"), "audit", str(checklist), "--out", str(out),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not processes_with(locustfile.name) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(locustfile.name), "Locust never started"
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 130
    assert wait_until_gone(locustfile.name) == []
    assert wait_until_gone(str(tmp_path / "www")) == []
    results = json.loads((out / "latest" / "results.json").read_text())
    assert results["interrupted"] == "SIGTERM" and results["complete"] is False
    assert {i["id"]: i["status"] for i in results["items"]}["page"] == "passed"


def test_a_relative_out_folder_works_for_subprocess_checks(write_yaml, static_target, tmp_path):
    write_reader(tmp_path / "reader.py")
    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: relout, title: Relative out, target: {static_target}}}
        sections:
          - id: s
            title: S
            items:
              - {{id: load, title: Load, severity: high,
                 check: {{type: load, locustfile: reader.py, users: 2, duration_s: 3, thresholds: {{error_rate: 1}}}}}}
        """)
    proc = subprocess.run([str(Path(sys.executable).parent / "harness"), "audit", checklist.name, "--out", "out",
                           "--quiet"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    results = json.loads((tmp_path / "out" / "latest" / "results.json").read_text())
    assert results["items"][0]["status"] == "passed", results["items"][0]["message"]
    assert proc.returncode == 0
