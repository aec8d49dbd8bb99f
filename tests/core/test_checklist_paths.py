"""Files a checklist names must be inside its folder tree (the repository holding it, or its folder): a
checklist pointed at a file outside, directly or through a symbolic link, gets an ``error`` item and the
file's text appears nowhere in the run folder, unless the user passes ``--allow-outside-paths``. Tool
output quoted in evidence is cut."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from readiness_harness.checks.alert_rules import AlertRulesParams, run_alert_rules
from readiness_harness.contract.context import CheckContext, PathOutsideChecklist
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment, checklist_tree
from readiness_harness.provision import external_target
from tests.conftest import ROOT, needs_tool
from tests.core.lifecycle import results, run

CANARY = "CANARY-7f3a9-root:$y$j9T$notarealhash"


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A checklist folder and, beside it, a private folder with a secret file (and a link to it inside)."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "shadow").write_text("".join(f"{CANARY}-{n}:19000:0:99999:7:::\n" for n in range(50)))
    project = tmp_path / "project"
    project.mkdir()
    (project / "inside.txt").write_text("hello\n")
    (project / "link").symlink_to(private / "shadow")
    return project, private


ITEMS = """\
checklist: {id: paths, title: Paths}
sections:
  - id: s
    title: S
    items:
      - {id: direct, title: Direct, severity: high, check: {type: file, path: ../private/shadow, contains: [CANARY]}}
      - {id: absolute, title: Absolute, severity: high, check: {type: file, path: "%s", contains: [CANARY]}}
      - {id: link, title: Link, severity: high, check: {type: file, path: link, contains: [CANARY]}}
      - {id: rules, title: Rules, severity: high, check: {type: alert_rules, rules: ../private/shadow, load: false}}
      - {id: scan, title: Scan, severity: low, check: {type: secrets_scan, paths: [../private]}}
      - {id: inside, title: Inside, severity: low, check: {type: file, path: inside.txt, contains: [hello]}}
"""


def _audit(tmp_path: Path, *extra: str) -> tuple[dict, Path]:
    project, private = _project(tmp_path)
    path = project / "checklist.yaml"
    path.write_text(ITEMS % (private / "shadow"))
    out = tmp_path / "out"
    run("audit", path, "--base-url", "http://127.0.0.1:9", "--out", out, "--quiet", *extra)
    return {i["id"]: i for i in results(out)["items"]}, out


def test_files_outside_the_checklist_tree_are_refused_and_never_copied(tmp_path):
    items, out = _audit(tmp_path)
    for item_id in ("direct", "absolute", "link", "rules", "scan"):
        assert items[item_id]["status"] == "error", items[item_id]
        assert "outside the checklist's folder tree" in items[item_id]["message"], items[item_id]["message"]
    assert items["inside"]["status"] == "passed"
    leaked = [p for p in out.rglob("*") if p.is_file() and "CANARY-7f3a9" in p.read_text(errors="replace")]
    assert leaked == []


def test_the_user_may_allow_outside_paths(tmp_path):
    items, _ = _audit(tmp_path, "--allow-outside-paths")
    assert items["direct"]["status"] == "passed" and items["link"]["status"] == "passed"


def test_the_tree_is_the_repository_holding_the_checklist():
    assert checklist_tree(ROOT / "checklists") == ROOT
    assert checklist_tree(ROOT / "checklists" / "seeds") == ROOT


def test_the_run_folders_are_inside_the_allowed_roots(tmp_path):
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path / "run",
                           checklist_dir=tmp_path / "project", confine_paths=True)
    ctx = CheckContext(audit=env, item_id="x", timeout_s=5)
    assert ctx.resolve(str(tmp_path / "run" / "artifact.txt")) == tmp_path / "run" / "artifact.txt"
    with pytest.raises(PathOutsideChecklist):
        ctx.resolve("/etc/shadow")


@needs_tool("promtool")
def test_tool_output_quoted_in_evidence_is_cut(tmp_path):
    # promtool names every unknown top-level key, one line each (with /etc/passwd it quoted the lines)
    (tmp_path / "rules.yml").write_text("".join(f"key{n}: value{n}\n" for n in range(300)))
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path / "run",
                           checklist_dir=tmp_path)
    result = asyncio.run(run_alert_rules(AlertRulesParams(rules="rules.yml", load=False),
                                         CheckContext(audit=env, item_id="rules", timeout_s=60)))
    assert result.status == Status.FAILED
    body = next(e for e in result.evidence if e.kind == "text").body
    assert len(body.splitlines()) <= 22 and len(body) <= 2200, body
    assert "more lines cut" in body or "more characters cut" in body


def test_without_promtool_the_rules_item_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "rules.yml").write_text("groups: []\n")
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=tmp_path / "run",
                           checklist_dir=tmp_path)
    result = asyncio.run(run_alert_rules(AlertRulesParams(rules="rules.yml", load=False),
                                         CheckContext(audit=env, item_id="rules", timeout_s=60)))
    assert result.status == Status.ERROR and "promtool is not on PATH" in result.message
