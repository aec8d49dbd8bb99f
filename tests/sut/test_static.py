"""Static properties: deployment artifacts, alert rules, documentation of configuration, secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from readiness_harness.system_under_test.config import Settings

SUT = Path(__file__).resolve().parents[2] / "system_under_test"
AWS_KEY = re.compile(r"AKIA[0-9A-Z]{16}")


def _scan(paths: list[Path]) -> list[Path]:
    return [path for path in paths if AWS_KEY.search(path.read_text(errors="replace"))]


def test_hardcoded_secret_lives_only_in_the_defect_asset() -> None:
    """The hardcoded_secret defect is static: a scan of defects_assets/ finds it, the rest is clean."""
    source = [p for p in SUT.rglob("*") if p.is_file() and p.suffix in {".py", ".yaml", ".yml", ".md", ".example"}]
    assets = [p for p in source if "defects_assets" in p.parts]
    assert _scan([p for p in source if p not in assets]) == []
    assert _scan(assets) == [SUT / "defects_assets" / "hardcoded_secret_config.py"]


def test_dockerfile_runs_as_non_root_with_healthcheck() -> None:
    text = (SUT / "deploy" / "Dockerfile").read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r"^HEALTHCHECK .*", text, re.MULTILINE) and "/health" in text


def test_kubernetes_deployment_has_probes_resources_and_non_root() -> None:
    manifest = yaml.safe_load((SUT / "deploy" / "k8s" / "deployment.yaml").read_text())
    pod = manifest["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= container["resources"]["limits"].keys()
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_alert_rules_use_service_metrics_and_have_runbook_sections() -> None:
    rules = yaml.safe_load((SUT / "deploy" / "alerts.yml").read_text())["groups"][0]["rules"]
    exprs = " ".join(rule["expr"] for rule in rules)
    for metric in ("http_requests_total", "http_request_duration_seconds_bucket", "circuit_breaker_state",
                   "rate_limit_rejections_total"):
        assert metric in exprs
    runbook = (SUT / "RUNBOOK.md").read_text()
    for rule in rules:
        assert f"### {rule['alert']}" in runbook
    assert "## Rollback" in runbook and "## On-call" in runbook


def test_alert_rules_pass_promtool() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is required in CI")
        pytest.skip("promtool not installed (set CI=1 to make this a failure)")
    deploy = SUT / "deploy"
    for args in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]):
        result = subprocess.run([promtool, *args], cwd=deploy, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_documents_every_variable() -> None:
    documented = set(re.findall(r"^([A-Z_]+)=", (SUT / ".env.example").read_text(), re.MULTILINE))
    aliases = {field.alias for field in Settings.model_fields.values()}
    assert aliases == documented


def test_target_file_describes_processes_and_proxies() -> None:
    target = yaml.safe_load((SUT / "target.yaml").read_text())
    assert [p["name"] for p in target["processes"]] == ["upstream-primary", "upstream-fallback", "api", "api-tls"]
    api = target["processes"][2]
    assert api["env"]["API_KEYS"] == "free:{secret.free_key|sha256},pro:{secret.pro_key|sha256}"
    assert api["env"]["UPSTREAM_PRIMARY_URL"] == "http://{proxy.upstream_primary}"
    assert api["stop"] == {"signal": "SIGTERM", "grace_s": 10}
    assert {p["name"] for p in target["proxies"]} == {"upstream_primary", "upstream_fallback"}


def test_migrations_are_numbered_sql_files() -> None:
    names = sorted(p.name for p in (SUT / "migrations").glob("*.sql"))
    assert names == ["0001_create_orders.sql", "0002_create_jobs.sql"]


def test_modules_stay_small() -> None:
    for path in SUT.rglob("*.py"):
        lines = len(path.read_text().splitlines())
        assert lines <= 300, f"{path.relative_to(SUT)}: {lines} lines"
