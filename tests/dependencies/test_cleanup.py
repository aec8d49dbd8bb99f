"""After any audit (passed, target failed, interrupted) no dependency server, container or temporary
data directory is left behind. Each audit runs as ``harness audit`` with its own TMPDIR, so
everything a provider creates is visible in one folder that must end up empty."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dependencies.conftest import needs_postgres, needs_redis, processes_mentioning

pytestmark = [needs_postgres, needs_redis]
HARNESS = Path(sys.executable).parent / "harness"


@pytest.fixture
def audit_tmp() -> Iterator[Path]:
    """A TMPDIR the ``postgres`` user can reach (pytest's own folders are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="harness-cleanup-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_audit(write_yaml, *, api_command: str) -> Path:
    target = write_yaml("t.yaml", f"""
        name: deps
        base_url: "http://127.0.0.1:{{port.api}}"
        processes:
          - name: api
            command: ["{sys.executable}", "-c", "{api_command}", "{{port.api}}", "{{dep.db.url}}", "{{dep.cache.url}}"]
            ready: {{url: "{{base_url}}/", timeout_s: 15}}
            stop: {{grace_s: 1}}
        dependencies:
          - {{name: db, kind: postgresql}}
          - {{name: cache, kind: redis}}
        """)
    return write_yaml("c.yaml", f"""
        checklist: {{id: deps, title: Dependencies, target: {target}}}
        sections:
          - id: s
            title: S
            items:
              - id: up
                title: Up
                severity: high
                check: {{type: http, path: /, timeout: 30, expect: {{status: 200}}}}
        """)


SERVE = ("import http.server, sys; http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])),"
         " http.server.SimpleHTTPRequestHandler).serve_forever()")


def assert_nothing_left(tmp: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (processes_mentioning(str(tmp)) or any(tmp.iterdir())):
        time.sleep(0.1)
    assert processes_mentioning(str(tmp)) == [], "a dependency server outlived the audit"
    assert sorted(p.name for p in tmp.iterdir()) == [], "temporary data was left behind"


def run_audit(checklist: Path, tmp: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp), "HARNESS_PROVIDER": "local"}
    return subprocess.Popen([str(HARNESS), "audit", str(checklist), "--out", str(out), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_passing_audit_leaves_nothing_behind(write_yaml, tmp_path, audit_tmp):
    proc = run_audit(write_audit(write_yaml, api_command=SERVE), audit_tmp, tmp_path / "out")
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, output
    assert_nothing_left(audit_tmp)


def test_a_target_that_fails_after_its_dependencies_started_leaves_nothing_behind(write_yaml, tmp_path, audit_tmp):
    proc = run_audit(write_audit(write_yaml, api_command="import sys; sys.exit(4)"), audit_tmp, tmp_path / "out")
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 3, output
    assert_nothing_left(audit_tmp)


def test_an_interrupted_audit_leaves_nothing_behind(write_yaml, tmp_path, audit_tmp):
    proc = run_audit(write_audit(write_yaml, api_command=SERVE), audit_tmp, tmp_path / "out")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(audit_tmp.glob("harness-redis-*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode in (3, 130), output
    assert_nothing_left(audit_tmp)
