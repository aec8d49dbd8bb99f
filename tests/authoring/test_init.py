"""`harness init` writes files that validate and run; the README walkthrough (examples/httpbin) runs for real."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
import yaml

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.cli import main
from readiness_harness.contract.registry import Phase
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from tests.authoring.support import EXAMPLES, gunicorn

HTTPBIN_COMMAND = "gunicorn --bind 127.0.0.1:{port.app} --workers 2 httpbin:app"
WALKTHROUGH = ["init", "--command", HTTPBIN_COMMAND, "--health", "/get", "--name", "httpbin",
               "--out", "examples/httpbin", "--schemas", "../../schemas"]


def test_the_walkthrough_files_are_what_init_writes(tmp_path, monkeypatch):
    copy = tmp_path / "repo"
    (copy / "examples").mkdir(parents=True)
    monkeypatch.chdir(copy)
    assert main(WALKTHROUGH) == 0
    for name in ("checklist.yaml", "target.yaml", "locustfile.py"):
        assert (copy / "examples/httpbin" / name).read_text() == (EXAMPLES / "httpbin" / name).read_text(), name


def test_init_refuses_a_command_without_a_port_and_never_overwrites(tmp_path, capsys):
    assert main(["init", "--command", "gunicorn app:app", "--out", str(tmp_path)]) == 2
    assert "{port.NAME}" in capsys.readouterr().err
    assert main(["init", "--base-url", "http://127.0.0.1:9", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "target.yaml").exists(), "a running service needs no target file"
    assert main(["init", "--base-url", "http://127.0.0.1:9", "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err


def test_init_with_an_openapi_file_adds_a_fuzz_item_that_validate_checks(tmp_path, capsys):
    (tmp_path / "openapi.yaml").write_text("openapi: 3.0.0\n")
    assert main(["init", "--command", "svc --port {port.api}", "--openapi", "openapi.yaml", "--out",
                 str(tmp_path)]) == 0
    checklist = yaml.safe_load((tmp_path / "checklist.yaml").read_text())
    fuzz = checklist["sections"][0]["items"][-1]["check"]
    assert fuzz["type"] == "openapi_fuzz" and fuzz["openapi"] == "openapi.yaml"
    target = yaml.safe_load((tmp_path / "target.yaml").read_text())
    assert target["base_url"] == "http://127.0.0.1:{port.api}" and target["processes"][0]["command"][0] == "svc"
    schema = json.loads((tmp_path / ".harness" / "checklist.schema.json").read_text())
    assert "check.openapi_fuzz" in schema["$defs"]
    (tmp_path / "openapi.yaml").unlink()
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "checklist.yaml")]) == 2
    assert "OpenAPI document 'openapi.yaml' does not exist" in capsys.readouterr().err


def _third_party_environ() -> dict[str, str]:
    binary = gunicorn()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("gunicorn with httpbin is not installed (.ci/run installs it)")
        pytest.skip("gunicorn with httpbin is not installed")
    return {**os.environ, "PATH": f"{Path(binary).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.mark.slow
def test_init_then_audit_produces_a_report_against_httpbin(tmp_path, registry):
    """The walkthrough, as CI runs it: `harness init`, then `harness audit` on the files it wrote."""
    environ = _third_party_environ()
    out = tmp_path / "audit"
    assert main(["init", "--command", HTTPBIN_COMMAND, "--health", "/get", "--name", "httpbin", "--out",
                 str(out)]) == 0
    options = AuditOptions(checklist=out / "checklist.yaml", out_dir=tmp_path / "reports", environ=environ,
                           listeners=standard_listeners())
    outcome = asyncio.run(run_audit(options, registry))
    statuses = {item.id: item.status for item in outcome.record.items}
    assert statuses["liveness"] == Status.PASSED and statuses["unknown-path"] == Status.PASSED
    assert statuses["security-headers"] == Status.FAILED, "httpbin sends neither header"
    assert statuses["load-health"] in (Status.PASSED, Status.INCONCLUSIVE), outcome.record.items[-1].message
    assert outcome.record.verdict == "APPROVED" and outcome.exit_code == 0
    assert (outcome.run_dir / "index.html").is_file() and (outcome.run_dir / "summary.md").is_file()
    assert "1 medium item failed" in (outcome.run_dir / "summary.md").read_text()


@pytest.mark.slow
def test_the_committed_walkthrough_runs(tmp_path, registry):
    """examples/httpbin exactly as the README shows it, functional phase (the load item runs above)."""
    environ = _third_party_environ()
    options = AuditOptions(checklist=EXAMPLES / "httpbin" / "checklist.yaml", out_dir=tmp_path / "reports",
                           environ=environ, phases=frozenset({Phase.FUNCTIONAL}))
    outcome = asyncio.run(run_audit(options, registry))
    statuses = {item.id: item.status for item in outcome.record.items}
    assert statuses == {"liveness": Status.PASSED, "unknown-path": Status.PASSED,
                        "security-headers": Status.FAILED, "load-health": Status.SKIPPED}
    assert outcome.record.verdict == "APPROVED"
