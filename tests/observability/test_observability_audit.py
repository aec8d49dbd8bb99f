"""promql and alert_rules items in real audits: pass on the clean service, fail under ``no_metrics``."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness_harness.contract.status import Status
from tests.conftest import needs_tool
from tests.observability.support import audit, write_checklist

ITEMS = """
sections:
  - id: observability
    title: Observability
    items:
      - id: metrics-scraped
        title: Prometheus scrapes the service's metrics
        severity: high
        check: {type: promql, query: 'up{job="target"}', equals: 1}
      - id: requests-counted
        title: Requests are counted
        severity: medium
        check: {type: promql, query: 'sum(http_requests_total)', min: 1}
      - id: alert-rules
        title: Alert rules are valid, unit-tested, and loaded
        severity: high
        check:
          type: alert_rules
          rules: "@ROOT@/system_under_test/deploy/alerts.yml"
          tests: ["@ROOT@/system_under_test/deploy/alerts_test.yml"]
          for_cap_s: 5
"""

pytestmark = [needs_tool("prometheus"), needs_tool("promtool")]


def test_clean_service_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = audit(write_checklist(tmp_path, ITEMS), monkeypatch)
    for item_id in ("metrics-scraped", "requests-counted", "alert-rules"):
        assert results[item_id].status == Status.PASSED, (item_id, results[item_id].message)
    loaded = [e for e in results["alert-rules"].evidence if e.kind == "observation" and "Prometheus" in e.label]
    assert loaded[0].ok is True


def test_no_metrics_defect_fails_the_promql_items(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = audit(write_checklist(tmp_path, ITEMS), monkeypatch, defects="no_metrics",
                    only={"metrics-scraped", "requests-counted"})
    for item_id in ("metrics-scraped", "requests-counted"):
        assert results[item_id].status == Status.FAILED, (item_id, results[item_id].message)
    assert "expected = 1" in results["metrics-scraped"].message
    assert "no series" in results["requests-counted"].message
