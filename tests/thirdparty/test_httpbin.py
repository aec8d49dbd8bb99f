"""Plain locustfiles (importing nothing of this project) against httpbin under gunicorn, through a whole audit:
the harness paces them to the asked rate and counts an expected status apart from errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from tests.thirdparty.conftest import LOCUSTFILES, needs_servers

pytestmark = [pytest.mark.slow, needs_servers()]


def item(item_id: str, **check: object) -> dict:
    return {"id": item_id, "title": item_id, "severity": "high", "check": {"type": "load", **check}}


def audit(tmp_path: Path, base_url: str, items: list[dict]) -> dict[str, ItemResult]:
    doc = {"checklist": {"id": "httpbin", "title": "httpbin"}, "sections": [{"id": "s", "title": "s", "items": items}]}
    path = tmp_path / "checklist.json"  # YAML is a superset of JSON
    path.write_text(json.dumps(doc))
    options = AuditOptions(listeners=standard_listeners(), checklist=path, out_dir=tmp_path / "out",
                           base_url=base_url, allow_outside_paths=True)  # a tmp checklist names tests/' locustfiles
    outcome = asyncio.run(run_audit(options, default_registry()))
    return {result.id: result for result in outcome.record.items}


@pytest.fixture(scope="module")
def results(httpbin_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ItemResult]:
    return audit(tmp_path_factory.mktemp("httpbin"), httpbin_url, [
        item("paced", locustfile=str(LOCUSTFILES / "httpbin_get.py"), target_rps=30, duration_s=8,
             thresholds={"error_rate": 0}),
        item("teapot", locustfile=str(LOCUSTFILES / "teapot.py"), users=2, duration_s=4, expected_statuses=[418],
             thresholds={"error_rate": 0, "per_name": {"teapot": {"min_expected": 1}}}),
        item("teapot-unexpected", locustfile=str(LOCUSTFILES / "teapot.py"), users=2, duration_s=3,
             thresholds={"error_rate": 0}),
    ])


def test_a_plain_locustfile_is_paced_to_30_requests_a_second(results: dict[str, ItemResult]):
    """Its own wait_time (0-50 ms) would run hundreds of requests a second; the harness's schedule runs 30."""
    paced = results["paced"]
    assert paced.status == Status.PASSED, paced.message
    assert 28.5 <= paced.measurements["rps"] <= 31.5, paced.measurements
    rate = next(e for e in paced.evidence if e.kind == "observation" and e.label.startswith("achieved request rate"))
    assert rate.ok is True and rate.expected == "28.5-31.5 req/s (target 30 req/s ± 5%)"


def test_an_expected_status_is_counted_apart_from_errors(results: dict[str, ItemResult]):
    teapot = results["teapot"]
    assert teapot.status == Status.PASSED, teapot.message
    assert teapot.measurements["error_rate_pct"] == 0
    assert teapot.measurements["expected_418"] == teapot.measurements["requests"] > 0
    table = next(e for e in teapot.evidence if e.kind == "table" and e.title.startswith("Requests by name"))
    assert table.rows[0][:4] == ["teapot", "GET", teapot.measurements["requests"], 0]
    assert table.rows[0][5] == f"418×{int(teapot.measurements['requests'])}"


def test_without_expected_statuses_the_same_answers_are_errors(results: dict[str, ItemResult]):
    unexpected = results["teapot-unexpected"]
    assert unexpected.status == Status.FAILED, unexpected.message
    assert unexpected.measurements["error_rate_pct"] == 100
    assert "error_rate 100% > limit 0%" in unexpected.message
