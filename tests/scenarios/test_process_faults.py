"""Faults on the target's processes: a restart between an order and its replay, a kill rolled back by starting
the process again, a frozen provider (SIGSTOP) rolled back with SIGCONT, and a frozen process that a killed
harness left behind, continued by the next run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.chaos.ledger import Ledger, recover
from readiness_harness.checks import default_registry
from readiness_harness.contract.registry import Phase
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from readiness_harness.sensitivity import Matrix
from tests.capacity.support import REFERENCE, reference_item
from tests.scenarios.conftest import KEY, wait_for

ORDER = {"method": "POST", "path": "/v1/orders", "headers": {**KEY, "Idempotency-Key": "{var.key}"},
         "json": {"chain": "ethereum", "address": "0x00000000219ab540356cbb839cbe05303d7705fa", "side": "buy",
                  "asset": "ETH", "amount": "0.25"}}
PLACE = {"name": "place an order", "request": ORDER, "expect": {"status": 201}, "capture": {"order_id": "order_id"}}
REPLAY = {"name": "replay", "request": ORDER,
          "expect": {"status": 201, "headers": {"Idempotent-Replayed": "true"}, "json": {"order_id": "{var.order_id}"}}}


def audit(checklist: Path, out: Path, environ: dict | None = None):
    options = AuditOptions(listeners=standard_listeners(), checklist=checklist, out_dir=out, environ=environ)
    return asyncio.run(run_audit(options, default_registry()))


def events(item) -> list:
    return next(e for e in item.evidence if e.kind == "timeline").events


@pytest.mark.slow
def test_a_replay_after_a_restart_is_recognised_by_the_clean_service(tmp_path):
    item = reference_item("idempotency-survives-restart", tmp_path / "out")
    assert item.status == Status.PASSED, item.message
    inject = next(e for e in events(item) if e.event == "inject")
    assert "process 'api' restarted gracefully" in inject.detail and "ready after" in inject.detail


@pytest.mark.slow
def test_keys_kept_in_memory_place_the_order_twice(tmp_path):
    item = reference_item("idempotency-survives-restart", tmp_path / "out", defect="idempotency_in_memory")
    assert item.status == Status.FAILED, item.message
    assert "Idempotent-Replayed: <absent>" in item.message and "json order_id" in item.message


@pytest.mark.slow
def test_the_sensitivity_matrix_maps_the_defect_to_the_restart_item(tmp_path):
    """As `make sensitivity` runs it: the defect on, only its mapped fault items, nothing else failing."""
    matrix = Matrix.load(REFERENCE, REFERENCE.with_suffix(".sensitivity.yaml"), default_registry(), tmp_path)
    row = asyncio.run(matrix.defect("idempotency_in_memory", {Phase.FAULT}, with_functional=False))
    assert row is not None and row.caught and row.unexpected == [], row


@pytest.mark.slow
def test_a_killed_process_is_started_again_at_rollback_and_its_recovery_timed(scenario_checklist, tmp_path):
    scenario = {"vars": {"key": "uuid"}, "steady_state": [PLACE], "faults": [{"process": "api", "action": "kill"}],
                "hold_s": 0.5, "recovery": {"within_s": 15, "probes": [REPLAY]}}
    item = audit(scenario_checklist(scenario), tmp_path / "out").record.items[0]
    assert item.status == Status.PASSED, item.message
    timeline = events(item)
    assert any(e.event == "inject" and "killed (SIGKILL)" in e.detail for e in timeline)
    rollback = next(e for e in timeline if e.event == "rollback")
    assert rollback.ok and "'api' started again in" in rollback.detail
    assert "recovery_s" in item.measurements


@pytest.mark.slow
def test_a_frozen_provider_costs_bounded_answers(tmp_path):
    item = reference_item("frozen-provider", tmp_path / "out")
    assert item.status == Status.PASSED, item.message
    assert any(e.event == "inject" and "frozen (SIGSTOP)" in e.detail for e in events(item))


@pytest.mark.slow
def test_without_timeouts_a_frozen_provider_hangs_requests(tmp_path):
    item = reference_item("frozen-provider", tmp_path / "out", defect="no_timeout")
    assert item.status == Status.FAILED, item.message
    assert "ReadTimeout" in item.message  # the probe's own request_timeout_s ended the hung request
    assert any(e.event == "rollback" and e.ok for e in events(item))


def test_a_variable_nobody_captured_fails_the_probe_without_sending_it(scenario_checklist, tmp_path):
    probe = {"name": "replay", "request": {**ORDER, "path": "/v1/orders/{var.nope}", "method": "GET"}}
    scenario = {"steady_state": [probe], "faults": [{"process": "api", "action": "restart"}]}
    item = audit(scenario_checklist(scenario), tmp_path / "out").record.items[0]
    assert item.status == Status.FAILED and "{var.nope}: never captured" in item.message, item.message
    assert not any(e.event == "inject" for e in events(item)), "nothing is injected when the steady state fails"


@pytest.mark.parametrize(("fault", "said"), [
    ({"process": "apii", "action": "kill"}, "no process named 'apii'"),
    ({"process": "api"}, "a process fault has an `action`"),
    ({"process": "api", "proxy": "upstream_primary", "action": "stop"}, "either a `proxy` or a `process`"),
    ({"proxy": "upstream_primary", "action": "stop"}, "`action` applies to a `process`"),
])
def test_a_process_fault_that_cannot_run_is_refused_at_validation(scenario_checklist, fault, said):
    checklist = scenario_checklist({"steady_state": [PLACE], "faults": [fault]})
    result = subprocess.run([str(Path(sys.executable).parent / "harness"), "validate", str(checklist)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and said in result.stdout + result.stderr, result.stdout + result.stderr


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def test_the_next_run_continues_a_process_a_dead_run_left_frozen(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=10)
    frozen = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        ledger = Ledger(tmp_path, "dead-run")
        ledger.process_fault(frozen.pid, "upstream-primary", "stop")
        os.killpg(frozen.pid, signal.SIGSTOP)
        assert wait_for(lambda: _state(frozen.pid) == "T", 5)
        ledger.close()
        lines = ledger.path.read_text().splitlines()  # the run "dies": its owner becomes a process that is gone
        owner = {"op": "owner", "pid": gone.pid, "start": "1"}
        ledger.path.write_text("\n".join([json.dumps(owner), *lines[1:]]) + "\n")
        report = asyncio.run(recover(tmp_path))
        assert report == [f"run dead-run: continued leftover stopped process 'upstream-primary' (pid {frozen.pid})"]
        assert wait_for(lambda: _state(frozen.pid) in ("S", "R"), 5), _state(frozen.pid)
        assert not ledger.path.exists(), "a ledger whose leftovers were all undone is deleted"
    finally:
        frozen.kill()
        frozen.wait(timeout=10)


@pytest.mark.slow
def test_sigkill_while_a_provider_is_frozen_is_cleaned_up_by_the_next_run(scenario_checklist, tmp_path):
    scenario = {"vars": {"key": "uuid"}, "steady_state": [PLACE],
                "faults": [{"process": "upstream-primary", "action": "stop"}], "hold_s": 60}
    out = tmp_path / "out"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "harness"), "audit", str(scenario_checklist(scenario)),
                             "--out", str(out), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def frozen_pid() -> int | None:
        for path in (out / ".ledger").glob("*.jsonl"):
            for line in path.read_text().splitlines():
                entry = json.loads(line)
                if entry.get("op") == "process_fault" and _state(entry["pid"]) == "T":
                    return int(entry["pid"])
        return None

    assert wait_for(lambda: frozen_pid() is not None, 60), "the provider was never frozen"
    pid = frozen_pid()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _state(pid) == "T", "the killed run left the provider frozen"
    outcome = audit(scenario_checklist({"steady_state": [PLACE], "vars": {"key": "uuid"},
                                        "faults": [{"process": "api", "action": "restart"}]}), out)
    notes = " ".join(outcome.record.notes)
    assert f"continued leftover stopped process 'upstream-primary' (pid {pid})" in notes, notes
    assert wait_for(lambda: _state(pid) in ("", "Z"), 10), "the leftover provider was not stopped"
    assert outcome.record.items[0].status == Status.PASSED, outcome.record.items[0].message
