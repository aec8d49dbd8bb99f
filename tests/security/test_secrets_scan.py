"""secrets_scan with detect-secrets: the service's source is clean, the planted credential is found."""

from __future__ import annotations

import asyncio
from pathlib import Path

from readiness_harness.checks.secrets_scan import SecretsScanParams, run_secrets_scan
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target
from tests.observability.support import ROOT

SUT = ROOT / "system_under_test"
PLANTED = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def scan(checklist_dir: Path, **params: object) -> Result:
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=checklist_dir / "run",
                           checklist_dir=checklist_dir)
    ctx = CheckContext(audit=env, item_id="secrets", timeout_s=60)
    return asyncio.run(run_secrets_scan(SecretsScanParams.model_validate(params), ctx))


def test_the_services_source_config_and_deploy_files_are_clean() -> None:
    result = scan(ROOT / "checklists", paths=["../system_under_test"], exclude=["defects_assets/*"],
                  exclude_plugins=["KeywordDetector"])
    assert result.status == Status.PASSED, result.message
    assert result.measurements["files_scanned"] > 20


def test_the_planted_credential_is_found_without_showing_it() -> None:
    result = scan(ROOT / "checklists", paths=["../system_under_test"], exclude_plugins=["KeywordDetector"])
    assert result.status == Status.FAILED
    asset = ROOT / "system_under_test" / "defects_assets" / "hardcoded_secret_config.py"
    line = next(n for n, text in enumerate(asset.read_text().splitlines(), 1) if "AWS_ACCESS_KEY_ID = " in text)
    assert f"../system_under_test/defects_assets/hardcoded_secret_config.py:{line} (AWS Access Key)" in result.message
    shown = result.model_dump_json()
    assert not any(secret in shown for secret in PLANTED)
    table = next(e for e in result.evidence if e.kind == "table")
    assert {row[0] for row in table.rows} == {"../system_under_test/defects_assets/hardcoded_secret_config.py"}


def test_known_false_positives_can_be_allowed_by_location_or_hash(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{PLANTED[0]}"\n')
    found = scan(tmp_path, paths=["conf"])
    assert found.status == Status.FAILED and "conf/settings.py:1" in found.message
    digest = next(e for e in found.evidence if e.kind == "table").rows[0][3].rstrip("…")
    assert scan(tmp_path, paths=["conf"], allow=["conf/settings.py:1"]).status == Status.PASSED
    assert scan(tmp_path, paths=["conf"], allow=[digest]).status == Status.PASSED


def test_runtime_configuration_under_the_run_folder_is_scanned_through_placeholders(tmp_path: Path) -> None:
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path, checklist_dir=tmp_path)
    env.target.placeholders.put("run_dir", str(tmp_path / "work"))
    (tmp_path / "work" / "api-data").mkdir(parents=True)
    (tmp_path / "work" / "api-data" / "credentials.env").write_text(f"AWS_ACCESS_KEY_ID={PLANTED[0]}\n")
    params = SecretsScanParams(paths=["{run_dir}/api-data"])
    result = asyncio.run(run_secrets_scan(params, CheckContext(audit=env, item_id="s", timeout_s=30)))
    assert result.status == Status.FAILED and "credentials.env:1" in result.message


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    result = scan(tmp_path, paths=["nowhere"])
    assert result.status == Status.ERROR and "nowhere" in result.message


def test_a_folder_with_nothing_to_scan_is_inconclusive_not_clean(tmp_path: Path) -> None:
    """A runtime folder scanned before the service wrote to it proves nothing (issue 15, 2b)."""
    (tmp_path / "run").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('hello')\n")
    result = scan(tmp_path, paths=["src", "run"])
    assert result.status == Status.INCONCLUSIVE and "run" in result.message
