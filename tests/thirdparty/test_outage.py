"""nginx in front of httpbin, the fault proxy between them, a plain locustfile through nginx: during a full
upstream outage (the proxy down) the baseline window holds no error and the fault window all of them.

Ten short scenarios in one audit (one provisioning), each with a baseline of a non-integer length: every
one of them must attribute every error to its fault window, and the chart must show them there.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.record import ItemResult
from readiness_harness.listeners import standard_listeners
from tests.thirdparty.conftest import LOCUSTFILES, needs_servers, write_nginx_target

pytestmark = [pytest.mark.slow, needs_servers()]

RUNS = 10


def scenario(index: int) -> dict:
    baseline_s = 1.3 + 0.1 * index  # never a whole second: window edges must not snap to Locust's seconds
    load = {"spec": {"locustfile": str(LOCUSTFILES / "through_nginx.py"), "target_rps": 20, "duration_s": 8},
            "baseline_s": baseline_s, "recovery_s": 1, "baseline": {"error_rate": 0}, "recovery": {"error_rate": 0}}
    return {"id": f"outage-{index}", "title": f"Upstream outage {index}", "severity": "high", "check": {
        "type": "chaos", "timeout": 60,
        "steady_state": [{"name": "through nginx", "request": {"path": "/get"}, "expect": {"status": 200}}],
        "faults": [{"proxy": "upstream", "down": True}], "hold_s": 2, "load": load,
        "recovery": {"within_s": 10, "interval_s": 0.1}}}


@pytest.fixture(scope="module")
def outages(tmp_path_factory: pytest.TempPathFactory) -> list[ItemResult]:
    folder = tmp_path_factory.mktemp("outage")
    target = write_nginx_target(folder)
    doc = {"checklist": {"id": "nginx-outage", "title": "nginx outage", "target": str(target)},
           "sections": [{"id": "faults", "title": "Faults", "items": [scenario(i) for i in range(RUNS)]}]}
    path = folder / "checklist.json"
    path.write_text(json.dumps(doc))
    options = AuditOptions(listeners=standard_listeners(), checklist=path, out_dir=folder / "out",
                           allow_outside_paths=True)  # a tmp checklist names tests/' locustfiles
    return list(asyncio.run(run_audit(options, default_registry())).record.items)


def windows(item: ItemResult) -> dict[str, list]:
    table = next(e for e in item.evidence if e.kind == "table" and e.title.startswith("Windows"))
    return {row[0]: row for row in table.rows}


def test_every_outage_error_falls_in_its_fault_window(outages: list[ItemResult]):
    assert len(outages) == RUNS
    attributed = 0
    for item in outages:
        rows = windows(item)
        requests = next(e for e in item.evidence if e.kind == "table" and e.title.startswith("Requests by name"))
        total_failures = requests.rows[-1][3]
        assert rows["baseline"][2] > 0 and rows["baseline"][3] == 0, (item.id, rows["baseline"])
        assert rows["fault"][3] == total_failures > 0, (item.id, rows["fault"], total_failures)
        assert rows["recovery"][3] == 0, (item.id, rows["recovery"])
        assert item.status.value == "passed", (item.id, item.message)
        attributed += 1
    assert attributed == RUNS


def test_the_chart_shows_the_errors_inside_the_shaded_fault_window(outages: list[ItemResult]):
    for item in outages:
        series = next(e for e in item.evidence if e.kind == "timeseries")
        fault = next(w for w in series.windows if w.label == "fault")
        marks = {w.label: w.start for w in series.windows if w.start == w.end}
        assert set(marks) == {"injected", "rolled back"} and fault.start <= marks["injected"] < marks["rolled back"]
        step = series.t[1] - series.t[0]
        erring = [t for t, errors in zip(series.t, series.series["errors_per_s"], strict=True) if errors]
        assert erring, item.id
        assert all(fault.start <= t and t + step <= fault.end + 1e-6 for t in erring), (item.id, erring, fault)
