"""alert_rules with the real promtool: the service's rules and unit tests pass; broken ones fail."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import yaml

from readiness_harness.checks.alert_rules import AlertRulesParams, capped_copy, run_alert_rules
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target
from tests.conftest import needs_tool
from tests.observability.support import ROOT

DEPLOY = ROOT / "system_under_test" / "deploy"
pytestmark = needs_tool("promtool")


def context(folder: Path) -> CheckContext:
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=folder, checklist_dir=folder)
    return CheckContext(audit=env, item_id="alert-rules", timeout_s=60)


def run(folder: Path, **params: object) -> Result:
    return asyncio.run(run_alert_rules(AlertRulesParams.model_validate(params), context(folder)))


def test_the_services_rules_are_valid_and_their_unit_tests_pass(tmp_path: Path) -> None:
    result = run(tmp_path, rules=str(DEPLOY / "alerts.yml"), tests=[str(DEPLOY / "alerts_test.yml")])
    assert result.status == Status.PASSED, result.message
    texts = [e.body for e in result.evidence if e.kind == "text"]
    assert any("SUCCESS" in text for text in texts)
    loaded = [e for e in result.evidence if e.kind == "observation" and "Prometheus" in e.label]
    assert loaded and loaded[0].ok is None  # no Prometheus in this audit: noted, not failed


def test_an_invalid_rule_fails_with_promtools_output(tmp_path: Path) -> None:
    broken = tmp_path / "alerts.yml"
    broken.write_text(textwrap.dedent("""
        groups:
          - name: broken
            rules:
              - alert: Broken
                expr: sum(rate(http_requests_total[5m]) >
                for: 1m
        """))
    result = run(tmp_path, rules=str(broken))
    assert result.status == Status.FAILED
    assert "promtool check rules" in result.message
    assert any("parse error" in e.body.lower() for e in result.evidence if e.kind == "text")


def test_a_failing_unit_test_fails_the_item(tmp_path: Path) -> None:
    test = yaml.safe_load((DEPLOY / "alerts_test.yml").read_text())
    test["rule_files"] = [str(DEPLOY / "alerts.yml")]
    test["tests"][0]["alert_rule_test"][0]["exp_alerts"] = [{"exp_labels": {"severity": "page"}}]
    wrong = tmp_path / "alerts_test.yml"
    wrong.write_text(yaml.safe_dump(test))
    result = run(tmp_path, rules=str(DEPLOY / "alerts.yml"), tests=[str(wrong)])
    assert result.status == Status.FAILED
    assert "promtool test rules alerts_test.yml: exit 1" in result.message


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run(tmp_path, rules="nowhere.yml")
    assert result.status == Status.ERROR
    assert "nowhere.yml" in result.message


def test_capped_copy_shortens_only_long_holds(tmp_path: Path) -> None:
    copy = capped_copy(DEPLOY / "alerts.yml", 5, tmp_path / "rules")
    rules = [r for g in yaml.safe_load(copy.read_text())["groups"] for r in g["rules"]]
    assert rules and all(r["for"] == "5s" for r in rules)
    assert yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"][0]["for"] == "5m"
