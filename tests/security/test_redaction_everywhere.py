"""No secret reaches the run folder: not in evidence, not in the target's logs, not in Locust's or
schemathesis's files (issue item 16).

Secrets come from ``{secret.*}``, ``{env.*}`` (the rule in ``contract/redaction.py``), passwords in
``{dep.*.url}`` and any ``user:password@`` URL. The services leak on purpose: a small test service
that logs, echoes and answers with every secret it gets, and the reference service with its
``plaintext_keys`` defect (it logs every API key). Each writes its secrets to a witness file
outside the run folder; the test then greps every file of the run folder for every form of them.
"""

from __future__ import annotations

import asyncio
import html
import json
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
import yaml

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.listeners import standard_listeners
from tests.security.support import by_id

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hunter2-Sup3r/Secret&Pass"
DB_PASSWORD = "Lit3ral-Db-Pass"
UNKNOWN_CREDENTIAL = "Unkn0wn-Cred-9f3"
REGION = "eu-west"  # an {env.*} value too short (and not named like a secret) to be redacted


def forms(value: str) -> set[str]:
    """The ways a value can be written into a file: raw, URL-encoded, HTML- and JSON-escaped."""
    found = {value, quote(value, safe=""), quote(value), quote_plus(value), html.escape(value),
             json.dumps(value)[1:-1]}
    found.add(json.dumps(value)[1:-1].replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))
    return found


def occurrences(run_dir: Path, values: list[str]) -> dict[str, int]:
    """Every file of the run folder (reports, journal, logs, artifacts), read as bytes."""
    counts: dict[str, int] = {}
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for value in values:
            for form in forms(value):
                hits = data.count(form.encode())
                if hits:
                    key = f"{path.relative_to(run_dir)}: {value[:6]}…"
                    counts[key] = counts.get(key, 0) + hits
    return counts


def _target(folder: Path, witness: Path) -> Path:
    path = folder / "target.yaml"
    path.write_text(f"""
name: leaky
base_url: "http://127.0.0.1:{{port.web}}"
cwd: "{ROOT}"
secrets: [token]
dependencies:
  - {{name: db, kind: postgresql, provider: external, proxy: false,
     url: "postgresql://app:{DB_PASSWORD}@127.0.0.1:9/app"}}
processes:
  - name: leaky
    command: ["{{python}}", "-m", "tests.security.leaky_service", "{{port.web}}", "{witness}"]
    env:
      LEAKY_TOKEN: "{{secret.token}}"
      LEAKY_PASSWORD: "{{env.LEAKY_TEST_PASSWORD}}"
      LEAKY_DATABASE_URL: "{{dep.db.url}}"
      LEAKY_CACHE_URL: "redis://cache:{UNKNOWN_CREDENTIAL}@cache.internal:6379/0"
      LEAKY_REGION: "{{env.LEAKY_TEST_REGION}}"
    ready: {{url: "{{base_url}}/health", timeout_s: 20}}
    stop: {{grace_s: 2}}
""", encoding="utf-8")
    return path


LEAKY_CHECKLIST = f"""
checklist: {{id: leaky, title: Leaky service, target: target.yaml}}
sections:
  - id: s
    title: Secrets
    items:
      - id: echo
        title: The echo answers 201 (it answers 200, so the exchange is kept as evidence)
        severity: high
        check:
          type: http
          method: POST
          path: /echo
          headers: {{X-Token: "{{secret.token}}", Authorization: "Bearer {{env.LEAKY_TEST_PASSWORD}}",
                    X-Db: "{{dep.db.url}}", X-Region: "{{env.LEAKY_TEST_REGION}}"}}
          query: {{t: "{{secret.token}}", p: "{{env.LEAKY_TEST_PASSWORD}}"}}
          json: {{dsn: "{{dep.db.url}}", pw: "{{env.LEAKY_TEST_PASSWORD}}"}}
          expect: {{status: 201, json: {{config.LEAKY_TOKEN: nothing}}}}
      - id: logged
        title: Secrets are never logged
        severity: high
        check:
          type: logs
          process: leaky
          requests: [{{path: /echo, headers: {{X-Token: "{{secret.token}}"}}}}]
          expect: {{json_lines: false, must_not_contain: ["{{secret.token}}"]}}
      - id: load
        title: The echo under a little load
        severity: low
        check:
          type: load
          locustfile: {ROOT / "tests" / "security" / "leaky_locustfile.py"}
          users: 2
          duration_s: 3
          env: {{LEAKY_TOKEN: "{{secret.token}}", LEAKY_PW: "{{env.LEAKY_TEST_PASSWORD}}"}}
"""


def _audit(checklist: Path, monkeypatch: pytest.MonkeyPatch, **options: object):
    monkeypatch.delenv("HARNESS_PROVIDER", raising=False)
    opts = AuditOptions(checklist=checklist, out_dir=checklist.parent / "out", listeners=standard_listeners(),
                        allow_outside_paths=True, **options)  # type: ignore[arg-type]  # tmp checklist, repo files
    return asyncio.run(run_audit(opts, default_registry()))


def test_a_service_that_logs_and_echoes_its_secrets_leaves_none_in_the_run_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAKY_TEST_PASSWORD", PASSWORD)
    monkeypatch.setenv("LEAKY_TEST_REGION", REGION)
    witness = tmp_path / "witness.json"
    _target(tmp_path, witness)
    (tmp_path / "checklist.yaml").write_text(LEAKY_CHECKLIST, encoding="utf-8")
    outcome = _audit(tmp_path / "checklist.yaml", monkeypatch)
    results = by_id(outcome)
    assert results["echo"].status.value == "failed" and results["logged"].status.value == "failed"
    assert "written to the log as [REDACTED]" in results["logged"].message, "the check still sees the leak"
    assert results["load"].status.value in ("passed", "failed", "inconclusive"), results["load"].message
    leaked = json.loads(witness.read_text(encoding="utf-8"))
    values = [leaked["LEAKY_TOKEN"], PASSWORD, DB_PASSWORD, UNKNOWN_CREDENTIAL]
    assert leaked["LEAKY_PASSWORD"] == PASSWORD and DB_PASSWORD in leaked["LEAKY_DATABASE_URL"]
    assert (outcome.run_dir / "logs" / "leaky.log").stat().st_size > 10_000, "the service logged"
    assert any((outcome.run_dir / "artifacts" / "load").rglob("*.csv")), "Locust wrote its files"
    assert occurrences(outcome.run_dir, values) == {}
    assert REGION in (outcome.run_dir / "results.json").read_text(encoding="utf-8"), "short values stay readable"


def test_the_reference_service_logging_its_keys_leaves_none_in_the_run_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    witness = tmp_path / "keys.txt"
    target = yaml.safe_load((ROOT / "system_under_test" / "target.yaml").read_text(encoding="utf-8"))
    target["cwd"] = str(ROOT)
    target["processes"].append({
        "name": "witness", "start_with_previous": True, "stop": {"grace_s": 1},
        "command": [sys.executable, "-c", "import os, sys, time; open(sys.argv[1], 'w').write(os.environ['KEYS']); "
                    "time.sleep(600)", str(witness)],
        "env": {"KEYS": "{secret.free_key}\n{secret.pro_key}"}})
    (tmp_path / "target.yaml").write_text(yaml.safe_dump(target), encoding="utf-8")
    items = (ROOT / "tests" / "security" / "items.yaml").read_text(encoding="utf-8")
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text("checklist: {id: keys, title: Keys, target: target.yaml}\n" + items, encoding="utf-8")
    monkeypatch.setenv("SUT_DEFECTS", "plaintext_keys")
    monkeypatch.setenv("HARNESS_PROMETHEUS", "off")
    outcome = _audit(checklist, monkeypatch, only=frozenset({"auth-refusals", "injection-refusals", "api-fuzz"}))
    keys = witness.read_text(encoding="utf-8").split()
    assert len(keys) == 2 and all(len(k) > 20 for k in keys)
    assert (outcome.run_dir / "logs" / "api.log").stat().st_size > 0
    assert occurrences(outcome.run_dir, keys) == {}
