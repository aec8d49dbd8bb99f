"""The CI templates' shell steps, run here the way the CI services run them.

The GitHub composite action's ``run:`` steps run in order with bash (``-eo pipefail``, as GitHub
does), their ``env:`` expressions resolved from the inputs, earlier steps' outputs and the action's
path; its ``uses:`` steps cannot run here, so the test checks that what they would upload exists.
The GitLab job's script runs as one bash script with the job's variables. Both install the harness
from a copy of this repository into a fresh virtual environment (its dependencies come from the
test's own environment through a ``.pth`` file) and audit a static site the harness starts on
loopback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import static_site
from tests.core.test_packaging import _source_copy
from tests.reports.test_sarif import validate_sarif

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "readiness-audit" / "action.yml"
GITLAB = ROOT / "ci" / "gitlab" / "readiness-audit.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a checklist (one critical item that passes, one that ``--only`` can skip) and its target."""
    base = tmp_path_factory.mktemp("project")
    www = base / "www"
    www.mkdir()
    (www / "health").write_text("ok\n", encoding="utf-8")
    static_site(base, www)
    (base / "checklist.yaml").write_text(textwrap.dedent("""\
        checklist: {id: ci, title: CI template audit, target: target.yaml}
        sections:
          - id: web
            title: Web
            items:
              - {id: health, title: Health answers, severity: critical, check: {type: http, path: /health,
                 expect: {status: 200}}}
              - {id: home, title: Home answers, severity: critical, check: {type: http, path: /health,
                 expect: {status: 200}}}
        """), encoding="utf-8")
    return base


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtual environment that sees this environment's packages (not the harness itself)."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, timeout=300)
    site = Path(subprocess.run([str(folder / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (site / "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _source_copy(tmp_path_factory.mktemp("source"))


def ci_environment(venv: Path, tmp: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR", "PIP_CACHE_DIR", "PIP_INDEX_URL")}
    return {**keep, "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "CI": "true", "TMPDIR": str(tmp),
            **extra}


def resolve(text: str, context: dict[str, str]) -> str:
    """``${{ name }}`` as GitHub resolves it: a missing step output is empty; anything else unknown fails."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in context:
            return context[name]
        assert name.startswith("steps.") and ".outputs." in name, f"expression the test cannot resolve: {name}"
        return ""

    return EXPRESSION.sub(value, str(text))


def run_action(inputs: dict[str, str], *, workspace: Path, env: dict[str, str], tmp: Path) -> dict[str, Any]:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    context = {f"inputs.{name}": spec.get("default", "") for name, spec in action["inputs"].items()}
    missing = [n for n, spec in action["inputs"].items() if spec.get("required") and n not in inputs]
    assert not missing, missing
    context.update({f"inputs.{name}": value for name, value in inputs.items()})
    context["github.action_path"] = str(ACTION.parent)
    uploads: dict[str, dict[str, str]] = {}
    for n, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            uploads[step["uses"].split("@")[0]] = {k: resolve(v, context) for k, v in step.get("with", {}).items()}
            continue
        assert step["shell"] == "bash" and "${{" not in step["run"], "inputs reach scripts through env only"
        outputs = tmp / f"output-{n}"
        outputs.touch()
        step_env = {**env, "GITHUB_OUTPUT": str(outputs),
                    **{k: resolve(v, context) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=workspace,
                              env=step_env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, (step.get("name"), done.stdout[-2000:], done.stderr[-3000:])
        for line in outputs.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            context[f"steps.{step.get('id', n)}.outputs.{key}"] = value
    return {"context": context, "uploads": uploads}


def test_the_github_action_installs_audits_and_publishes(workspace: Path, venv: Path, source: Path,
                                                         tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    env = ci_environment(venv, tmp_path, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    done = run_action({"checklist": "checklist.yaml", "package": str(source)}, workspace=workspace, env=env,
                      tmp=tmp_path)
    context, uploads = done["context"], done["uploads"]
    assert context["steps.audit.outputs.exit-code"] == "0"
    run_dir = workspace / context["steps.audit.outputs.run-dir"]
    assert run_dir.parent == workspace / "reports" / "out" and (run_dir / "manifest.intoto.json").is_file()
    assert (workspace / uploads["mikepenz/action-junit-report"]["report_paths"]).is_file()
    assert (workspace / uploads["actions/upload-artifact"]["path"]) == run_dir
    validate_sarif(json.loads((workspace / uploads["github/codeql-action/upload-sarif"]["sarif_file"]).read_text()))
    text = summary.read_text(encoding="utf-8")
    assert "CI template audit: **APPROVED**" in text and text == (run_dir / "summary.md").read_text().rstrip() + "\n\n"


@pytest.mark.parametrize(("code", "allow", "expected"), [("0", "false", 0), ("4", "true", 0), ("4", "false", 4),
                                                         ("1", "true", 1), ("3", "false", 3)])
def test_the_github_verdict_step(code: str, allow: str, expected: int, tmp_path: Path) -> None:
    step = next(s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("name") == "Verdict")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          env={"PATH": "/usr/bin:/bin", "CODE": code, "ALLOW_NOT_PROVEN": allow},
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == expected
    assert ("::warning" in done.stdout) == (code == "4" and allow == "true")


def test_the_gitlab_job_installs_audits_and_keeps_its_reports(workspace: Path, venv: Path, source: Path,
                                                              tmp_path: Path) -> None:
    job = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))[".readiness-audit"]
    variables = {**job["variables"], "CHECKLIST": "checklist.yaml", "HARNESS_PACKAGE": str(source),
                 "AUDIT_ARGS": "--only health", "AUDIT_OUT": "gitlab-out"}
    script = "\n".join(job["script"])
    env = ci_environment(venv, tmp_path, GITLAB_CI="true", CI_PROJECT_DIR=str(workspace), **variables)
    done = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 4, done.stdout[-2000:] + done.stderr[-3000:]  # the skipped critical item proves nothing
    assert 4 in job["allow_failure"]["exit_codes"]
    assert "CI template audit: **REJECTED**" in done.stdout
    kept = workspace / "readiness-audit"
    assert job["artifacts"]["paths"] == ["readiness-audit/"]
    assert (workspace / job["artifacts"]["reports"]["junit"]).is_file()
    assert (kept / "results.sarif").is_file() and (kept / "manifest.intoto.json").is_file()
