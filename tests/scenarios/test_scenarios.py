"""Fault scenarios against the reference service: pass clean, fail on the named defect, always roll back."""

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
from readiness_harness.checks import default_registry
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from tests.scenarios.conftest import KEY, portfolio_probe, results, wait_for

FRESH = "/v1/wallets/ethereum/0x2222222222222222222222222222222222222222/portfolio"
PRIMARY_DOWN = {
    "steady_state": [portfolio_probe()],
    "faults": [{"proxy": "upstream_primary", "down": True}],
    "during": [{"name": "fallback serves", "request": {"path": FRESH, "headers": KEY},
                "expect": {"status": 200, "json": {"source": "fallback"}}}],
    "recovery": {"within_s": 10},
}


def audit(checklist: Path, out: Path, environ: dict | None = None):
    options = AuditOptions(listeners=standard_listeners(), checklist=checklist, out_dir=out, environ=environ)
    return asyncio.run(run_audit(options, default_registry()))


def test_primary_down_passes_and_records_a_timeline(scenario_checklist, tmp_path):
    outcome = audit(scenario_checklist(PRIMARY_DOWN), tmp_path / "out")
    item = outcome.record.items[0]
    assert item.status == Status.PASSED, item.message
    timeline = next(e for e in item.evidence if e.kind == "timeline")
    assert [e.event for e in timeline.events] == ["steady state probes", "inject", "during fault probes",
                                                  "rollback", "recovered"]
    assert timeline.recovered_after_s is not None and "recovery_s" in item.measurements
    assert outcome.record.environment.toxiproxy.startswith("embedded")


def test_no_fallback_fails_and_still_rolls_back(scenario_checklist, tmp_path, external_toxiproxy):
    env = {**os.environ, "SUT_DEFECTS": "no_fallback"}
    outcome = audit(scenario_checklist(PRIMARY_DOWN), tmp_path / "out", env)
    item = outcome.record.items[0]
    assert item.status == Status.FAILED
    assert "fallback serves: status: 503" in item.message
    timeline = next(e for e in item.evidence if e.kind == "timeline")
    assert any(e.event == "rollback" and e.ok for e in timeline.events)
    assert external_toxiproxy.proxies() == {}, "proxies created for the audit are deleted at teardown"
    assert not list((tmp_path / "out" / ".ledger").glob("*.jsonl")), "a clean run leaves no ledger"


def test_an_injection_error_still_rolls_back_what_was_injected(scenario_checklist, tmp_path):
    scenario = {**PRIMARY_DOWN, "faults": [
        {"proxy": "upstream_primary", "toxic": {"type": "latency", "attributes": {"latency": 50}}},
        # Beyond 64 bits: refused (400) by Toxiproxy and by the embedded server alike.
        {"proxy": "upstream_fallback", "toxic": {"type": "latency", "attributes": {"latency": 2**64}}}]}
    outcome = audit(scenario_checklist(scenario), tmp_path / "out")
    item = outcome.record.items[0]
    assert item.status == Status.FAILED
    events = next(e for e in item.evidence if e.kind == "timeline").events
    assert any(e.event == "inject failed" and "latency" in e.detail for e in events)
    assert any(e.event == "rollback" and e.ok for e in events)


def test_sigint_mid_fault_removes_the_toxic(scenario_checklist, tmp_path, external_toxiproxy):
    scenario = {**PRIMARY_DOWN, "faults": [{"proxy": "upstream_primary",
                                            "toxic": {"type": "latency", "attributes": {"latency": 10}}}],
                "during": [], "hold_s": 60}
    out = tmp_path / "out"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "harness"), "audit", str(scenario_checklist(scenario)),
                             "--out", str(out), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def toxic_present() -> bool:
        proxy = external_toxiproxy.proxies().get("upstream_primary")
        return bool(proxy and proxy["toxics"])

    assert wait_for(toxic_present, 60), "the fault was never injected"
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert external_toxiproxy.proxies() == {}
    data = results(out)
    assert data["interrupted"] == "SIGINT" and data["items"][0]["status"] in ("failed", "skipped", "error")


def test_sigkill_mid_fault_is_cleaned_up_by_the_next_run(scenario_checklist, tmp_path, external_toxiproxy):
    scenario = {**PRIMARY_DOWN, "faults": [{"proxy": "upstream_primary",
                                            "toxic": {"type": "latency", "attributes": {"latency": 10}}}],
                "during": [], "hold_s": 60}
    checklist = scenario_checklist(scenario)
    out = tmp_path / "out"
    proc = subprocess.Popen([str(Path(sys.executable).parent / "harness"), "audit", str(checklist), "--out",
                             str(out), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_for(lambda: bool((external_toxiproxy.proxies().get("upstream_primary") or {}).get("toxics")), 60)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    ledger = next((out / ".ledger").glob("*.jsonl")).read_text().splitlines()
    orphans = {json.loads(line)["pid"] for line in ledger if '"op": "process"' in line}
    assert orphans and all(Path(f"/proc/{pid}").exists() for pid in orphans), "the killed run left its processes"
    assert external_toxiproxy.proxies()["upstream_primary"]["toxics"], "the toxic outlived the killed run"
    outcome = audit(scenario_checklist({**PRIMARY_DOWN}), out)
    notes = " ".join(outcome.record.notes)
    assert "removed leftover toxic 'harness-scenario-1-latency' on proxy 'upstream_primary'" in notes
    assert "stopped leftover process 'api'" in notes
    assert not (external_toxiproxy.proxies().get("upstream_primary") or {}).get("toxics")
    assert wait_for(lambda: not any(_running(pid) for pid in orphans), 10), "leftover processes were not stopped"


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its (killed) parent's reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_unknown_proxy_is_refused_before_anything_starts(scenario_checklist, tmp_path):
    scenario = {**PRIMARY_DOWN, "faults": [{"proxy": "database", "down": True}]}
    with pytest.raises(ChecklistError) as caught:
        audit(scenario_checklist(scenario), tmp_path / "out")
    text = str(caught.value)
    assert "no fault proxy named 'database'" in text and "upstream_primary" in text
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("scenarios-*")), "nothing ran"


def test_background_load_is_judged_on_baseline_and_fault_windows(scenario_checklist, tmp_path):
    scenario = {**PRIMARY_DOWN, "during": [], "hold_s": 3,
                "load": {"spec": {"locustfile": str(Path(__file__).parents[2] / "loadtests/locustfiles/portfolio.py"),
                                  "target_rps": 20, "duration_s": 9,
                                  "env": {"HARNESS_API_KEY_PRO": "{secret.pro_key}", "HARNESS_WALLETS": "200"}},
                         "baseline_s": 3, "baseline": {"error_rate": 1}, "fault": {"error_rate": 1}}}
    env = {**os.environ, "SUT_DEFECTS": "no_fallback"}
    item = audit(scenario_checklist(scenario, timeout=90), tmp_path / "out", env).record.items[0]
    assert item.status == Status.FAILED, item.message
    verdicts = {e.label.split(":")[0]: e.ok for e in item.evidence
                if e.kind == "observation" and e.label.startswith("load in the")}
    assert verdicts == {"load in the baseline window": True, "load in the fault window": False}
    series = next(e for e in item.evidence if e.kind == "timeseries")
    assert [w.label for w in series.windows] == ["baseline", "fault"]


def test_an_alert_without_prometheus_is_not_evaluated_rather_than_failed(scenario_checklist, tmp_path):
    scenario = {**PRIMARY_DOWN, "alerts": [{"name": "WalletApiUpstreamCircuitOpen", "within_s": 5}]}
    item = audit(scenario_checklist(scenario), tmp_path / "out").record.items[0]
    assert item.status == Status.PASSED, item.message
    alert = next(e for e in item.evidence if e.kind == "observation" and "alert" in e.label)
    assert alert.ok is None and alert.observed.startswith("not evaluated")
