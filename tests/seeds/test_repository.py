"""Repository checks pass on a sound artifact and fail, rule by rule, on a broken copy of it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readiness_harness.contract.status import Status
from tests.seeds.support import run_check

DEPLOYMENT = """
apiVersion: v1
kind: Service
metadata: {name: api}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: wallet-api:1
          livenessProbe: {httpGet: {path: /health, port: 8000}}
          readinessProbe: {httpGet: {path: /ready, port: 8000}}
          resources:
            limits: {cpu: 500m, memory: 256Mi}
"""
K8S_RULES = {"path": "deployment.yaml", "kind": "Deployment", "require": [
    {"path": "spec.template.spec.containers[*].livenessProbe.httpGet.path", "equals": "/health"},
    {"path": "spec.template.spec.containers[*].readinessProbe"},
    {"path": "spec.template.spec.containers[*].resources.limits.memory", "matches": "^[0-9]+Mi$"},
    {"path": "spec.template.spec.securityContext.runAsNonRoot", "equals": True},
]}
DOCKERFILE = """
FROM python:3.12-slim AS build
RUN pip wheel -w /wheels .
FROM python:3.12-slim
RUN useradd --uid 10001 app
USER app
HEALTHCHECK --interval=10s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["python", "-m", "service"]
"""
RUNBOOK = "# Runbook\n\n## Alerts\n\n### HighErrorRate\n\n## Rollback\n\n## Escalation\n"
CONFIG_PY = 'a = Field(alias="API_KEYS")\nb = Field(default=1, alias="CACHE_TTL_S")\nc = os.environ.get("LOG_LEVEL")\n'
ENV_EXAMPLE = "API_KEYS=pro:abc\n# CACHE_TTL_S=15\nLOG_LEVEL=INFO\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def status(registry, tmp_path: Path, type_name: str, params: dict) -> Status:
    return run_check(registry, type_name, params, tmp_path).status


def test_yaml_file_rules(registry, tmp_path):
    write(tmp_path, "deployment.yaml", DEPLOYMENT)
    assert status(registry, tmp_path, "yaml_file", K8S_RULES) == Status.PASSED
    broken = {
        "livenessProbe:": "startupProbe:",
        "readinessProbe:": "lifecycle:",
        "memory: 256Mi": "memory: 1G",
        "runAsNonRoot: true": "runAsNonRoot: false",
        "kind: Deployment": "kind: StatefulSet",
    }
    for good, bad in broken.items():
        write(tmp_path, "deployment.yaml", DEPLOYMENT.replace(good, bad))
        result = run_check(registry, "yaml_file", K8S_RULES, tmp_path)
        assert result.status == Status.FAILED, f"{good} -> {bad} still passed"
    write(tmp_path, "deployment.yaml", "kind: [unclosed\n")
    assert status(registry, tmp_path, "yaml_file", K8S_RULES) == Status.FAILED


def test_yaml_file_wildcard_requires_every_container(registry, tmp_path):
    second = "        - name: sidecar\n          image: proxy:1\n"
    write(tmp_path, "deployment.yaml", DEPLOYMENT + second)
    assert status(registry, tmp_path, "yaml_file", K8S_RULES) == Status.FAILED


@pytest.mark.parametrize(("good", "bad"), [
    ("USER app\n", ""),                       # no USER: runs as root
    ("USER app\n", "USER root\n"),
    ("USER app\n", "USER 0:0\n"),
    ("HEALTHCHECK --interval=10s CMD", "# HEALTHCHECK --interval=10s CMD"),
    ("HEALTHCHECK --interval=10s CMD python", "HEALTHCHECK NONE\n#"),
])
def test_dockerfile_rules(registry, tmp_path, good, bad):
    write(tmp_path, "Dockerfile", DOCKERFILE)
    params = {"path": "Dockerfile"}
    assert status(registry, tmp_path, "dockerfile", params) == Status.PASSED
    write(tmp_path, "Dockerfile", DOCKERFILE.replace(good, bad))
    assert status(registry, tmp_path, "dockerfile", params) == Status.FAILED


def test_dockerfile_user_in_an_earlier_stage_does_not_count(registry, tmp_path):
    text = DOCKERFILE.replace("USER app\n", "").replace("RUN pip wheel", "USER builder\nRUN pip wheel")
    write(tmp_path, "Dockerfile", text)
    assert status(registry, tmp_path, "dockerfile", {"path": "Dockerfile"}) == Status.FAILED


def test_file_headings_and_patterns(registry, tmp_path):
    write(tmp_path, "RUNBOOK.md", RUNBOOK)
    params = {"path": "RUNBOOK.md", "headings": ["Alerts", "Rollback", "Escalation"], "contains": ["HighErrorRate"]}
    assert status(registry, tmp_path, "file", params) == Status.PASSED
    write(tmp_path, "RUNBOOK.md", RUNBOOK.replace("## Rollback", "Rollback is manual"))
    assert status(registry, tmp_path, "file", params) == Status.FAILED
    write(tmp_path, "RUNBOOK.md", RUNBOOK.replace("HighErrorRate", "Errors"))
    assert status(registry, tmp_path, "file", params) == Status.FAILED
    write(tmp_path, "RUNBOOK.md", RUNBOOK)
    assert status(registry, tmp_path, "file", {"path": "RUNBOOK.md", "not_contains": ["Rollback"]}) == Status.FAILED
    assert status(registry, tmp_path, "file", {"path": "MISSING.md"}) == Status.FAILED


def test_env_example_documents_every_variable(registry, tmp_path):
    write(tmp_path, "config.py", CONFIG_PY)
    write(tmp_path, ".env.example", ENV_EXAMPLE)
    scan = {"path": ".env.example", "scan": {"file": "config.py"}}
    assert status(registry, tmp_path, "env_example", scan) == Status.PASSED
    listed = {"path": ".env.example", "variables": ["API_KEYS", "LOG_LEVEL"]}
    assert status(registry, tmp_path, "env_example", listed) == Status.PASSED
    write(tmp_path, ".env.example", ENV_EXAMPLE.replace("# CACHE_TTL_S=15\n", ""))
    result = run_check(registry, "env_example", scan, tmp_path)
    assert result.status == Status.FAILED and "CACHE_TTL_S" in result.message
    listed["variables"].append("REDIS_URL")
    assert status(registry, tmp_path, "env_example", listed) == Status.FAILED
    write(tmp_path, "config.py", "nothing = 1\n")
    assert status(registry, tmp_path, "env_example", scan) == Status.ERROR


def test_migrations_are_ordered_versioned_and_indexed(registry, tmp_path):
    folder = tmp_path / "migrations"
    write(folder, "0001_create_orders.sql", "CREATE TABLE orders (id TEXT);\n")
    write(folder, "0002_create_jobs.sql", "CREATE TABLE jobs (id TEXT);\nCREATE INDEX ix_jobs ON jobs (id);\n")
    write(folder, "README.txt", "not a migration\n")
    params = {"path": "migrations", "min_files": 2, "contains": [r"CREATE\s+INDEX"]}
    assert status(registry, tmp_path, "migrations", params) == Status.PASSED
    write(folder, "0002_create_jobs.sql", "CREATE TABLE jobs (id TEXT);\n")
    assert status(registry, tmp_path, "migrations", params) == Status.FAILED  # no index any more
    write(folder, "0002_create_jobs.sql", "CREATE INDEX ix_jobs ON jobs (id);\n")
    write(folder, "0004_gap.sql", "SELECT 1;\n")
    assert status(registry, tmp_path, "migrations", params) == Status.FAILED  # 0003 is missing
    (folder / "0004_gap.sql").rename(folder / "0002_duplicate.sql")
    assert status(registry, tmp_path, "migrations", params) == Status.FAILED  # two version 2
    (folder / "0002_duplicate.sql").unlink()
    (folder / "0001_create_orders.sql").unlink()
    assert status(registry, tmp_path, "migrations", params) == Status.FAILED  # fewer than min_files
    assert status(registry, tmp_path, "migrations", {"path": "nowhere"}) == Status.FAILED


def test_unknown_params_are_refused(registry):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        registry.get("dockerfile").params.model_validate({"path": "Dockerfile", "nonroot": True})
