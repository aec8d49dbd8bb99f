"""The ``load`` check type as an audit sees it: registered, validated from YAML, run by the runner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.evidence import TimeSeries
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.loader import load_checklist
from readiness_harness.provision import external_target
from readiness_harness.runner import Runner, plan
from tests.loadtests.conftest import HERE

CHECKLIST = f"""
checklist: {{id: load-test, title: Load}}
sections:
  - id: perf
    title: Performance
    items:
      - id: fast-reads
        title: Fast reads stay fast
        severity: high
        check:
          type: load
          locustfile: {HERE / "locustfiles" / "basic.py"}
          user_classes: [FastUser]
          users: 2
          duration_s: 2
          thresholds: {{p95: 5000, error_rate: 0, per_name: {{fast: {{min_rps: 1}}}}}}
      - id: too-short
        title: A timeout shorter than the load
        severity: low
        check:
          type: load
          timeout: 3
          locustfile: {HERE / "locustfiles" / "basic.py"}
          duration_s: 30
"""


def run_audit(path: Path, registry: Registry, base_url: str, run_dir: Path) -> dict[str, ItemResult]:
    loaded = load_checklist(path, registry)
    env = AuditEnvironment(target=external_target(base_url), run_dir=run_dir, checklist_dir=path.parent)
    results = asyncio.run(Runner(env).run(plan(loaded, registry)))
    return {r.id: r for r in results}


def test_registered_in_the_load_phase(registry: Registry):
    load = registry.get("load")
    assert load is not None and load.phase == Phase.LOAD
    assert load.description.startswith("Run a Locust load test")
    names = [name for name, _, _ in load.parameters()]
    assert {"locustfile", "target_rps", "thresholds", "expected_statuses", "processes", "workers"} <= set(names)
    assert load.default_timeout_s > 3600


def test_unknown_keys_are_checklist_errors(registry: Registry, write_yaml):
    path = write_yaml("bad.yaml", CHECKLIST.replace("duration_s: 2", "duraton_s: 2"))
    with pytest.raises(ChecklistError, match="duraton_s"):
        load_checklist(path, registry)


@pytest.mark.slow
def test_runner_runs_a_load_item(registry: Registry, write_yaml, app_url: str, tmp_path: Path):
    results = run_audit(write_yaml("c.yaml", CHECKLIST), registry, app_url, tmp_path / "run")
    fast = results["fast-reads"]
    assert fast.status == Status.PASSED, fast.message
    assert fast.phase == "load" and fast.measurements["requests"] > 0
    assert any(isinstance(e, TimeSeries) for e in fast.evidence)
    short = results["too-short"]
    assert short.status == Status.ERROR and "shorter than the load test" in short.message
