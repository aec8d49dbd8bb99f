"""The audit's Prometheus against the real reference service: windows, comparisons, rules, alerts, cleanup."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from readiness_harness.checks.alert_rules import alert_firing
from readiness_harness.checks.promql import CompareTo, PromqlParams, run_promql
from readiness_harness.contract.checklist import Severity
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import Capability
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.prometheus import PrometheusServer, prometheus_service, remove_stale
from readiness_harness.provision import external_target, provisioned
from readiness_harness.target import load_target
from tests.conftest import needs_tool
from tests.observability.support import TARGET

PLANNED = frozenset({Capability.PROMETHEUS})

ALWAYS_FIRING = """
groups:
  - name: harness-test
    rules:
      - alert: TargetIsUp
        expr: up{job="target"} == 1
        labels: {severity: info}
"""


def _load_item(item_id: str, **measurements: float) -> ItemResult:
    return ItemResult(id=item_id, section="s", section_title="S", title="load", severity=Severity.HIGH, kind="check",
                      status=Status.PASSED, measurements=measurements)


async def _traffic(base_url: str, requests: int, spread_s: float) -> None:
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        for _ in range(requests):
            assert (await client.get("/health")).status_code == 200
            await asyncio.sleep(spread_s / requests)


async def _scenario(tmp_path: Path) -> None:
    spec, base_dir = load_target(TARGET)
    async with provisioned(spec, base_dir=base_dir, log_dir=tmp_path / "logs") as target:
        env = AuditEnvironment(target=target, run_dir=tmp_path, checklist_dir=tmp_path, needs=PLANNED)
        async with prometheus_service(env):
            server = env.prometheus()
            assert isinstance(server, PrometheusServer)
            assert await server.wait_ready(60) == server.url
            ctx = CheckContext(audit=env, item_id="promql", timeout_s=60)
            start = time.time()
            await _traffic(target.base_url, 30, 3.0)
            env.record_window("load:smoke", start, time.time())
            env.results["smoke"] = _load_item("smoke", requests=30.0)
            query = 'sum(increase(http_requests_total{route="/health"}[{window}]))'
            within = PromqlParams(query=query, window="load:smoke", min=15,
                                  compare_to=CompareTo(item="smoke", measurement="requests", tolerance_pct=50))
            result = await run_promql(within, ctx)
            assert result.status == Status.PASSED, result.message
            assert any(e.kind == "timeseries" for e in result.evidence)
            far = within.model_copy(update={"min": None, "compare_to": CompareTo(
                item="smoke", measurement="requests", tolerance_pct=1)})
            far_result = await run_promql(far.model_copy(update={"query": query + " * 10"}), ctx)
            assert far_result.status == Status.FAILED and "apart" in far_result.message
            env.results["smoke"] = _load_item("smoke", requests=30.0).model_copy(
                update={"status": Status.INCONCLUSIVE, "message": "other work saturated the host"})
            untrusted = await run_promql(far.model_copy(update={"query": query + " * 10"}), ctx)
            assert untrusted.status == Status.INCONCLUSIVE, untrusted.message  # never failed against a bad figure
            assert "cannot be trusted" in untrusted.message and "other work saturated" in untrusted.message
            env.results["smoke"] = _load_item("smoke", requests=30.0, host_saturated_by_others=1.0,
                                              host_cpu_other_cores=1.5)
            contended = await run_promql(far.model_copy(update={"query": query + " * 10"}), ctx)
            assert contended.status == Status.INCONCLUSIVE and "other work saturated" in contended.message
            env.results["smoke"] = _load_item("smoke", requests=30.0)
            missing = await run_promql(PromqlParams(query="up", window="load:nothing", min=1), ctx)
            assert missing.status == Status.ERROR and "load:smoke" in missing.message
            rules = tmp_path / "always.yml"
            rules.write_text(ALWAYS_FIRING)
            assert await alert_firing(ctx, "TargetIsUp", within_s=20, rules=rules)
            assert not await alert_firing(ctx, "NoSuchAlert", within_s=1.5)
            pid = server.process.pid
        assert env.prometheus_server is None and not server.folder.exists()
        assert not _alive(pid)


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


@needs_tool("prometheus")
def test_windows_comparisons_rules_and_alerts_on_a_real_prometheus(tmp_path: Path) -> None:
    asyncio.run(_scenario(tmp_path))


def test_without_the_binary_a_note_is_added_and_promql_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("HARNESS_PROMETHEUS", raising=False)
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path, checklist_dir=tmp_path,
                           needs=PLANNED)

    async def scenario() -> Result:
        async with prometheus_service(env):
            return await run_promql(PromqlParams(query="up", min=1), CheckContext(audit=env, item_id="q", timeout_s=10))

    result = asyncio.run(scenario())
    assert result.status == Status.ERROR
    assert "install Debian's prometheus package" in result.message
    assert any("Prometheus" in note for note in env.notes)


def test_leftovers_of_a_crashed_audit_are_removed(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    stale, live = tmp_path / "harness-prometheus-stale", tmp_path / "harness-prometheus-live"
    for folder, owner in ((stale, gone.pid), (live, os.getpid())):
        (folder / "data").mkdir(parents=True)
        (folder / "owner.pid").write_text(str(owner))
    assert remove_stale(tmp_path) == 1
    assert not stale.exists() and live.exists()


def test_prometheus_starts_only_when_an_item_queries_it(tmp_path):
    async def scenario() -> object:
        env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path, checklist_dir=tmp_path)
        async with prometheus_service(env):
            return env.prometheus_server

    assert asyncio.run(scenario()) is None
