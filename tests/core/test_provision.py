"""Provisioning starts what the target file says and always stops it: on errors and on SIGINT."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners


def processes_with(marker: str) -> list[int]:
    """Pids whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def wait_until_gone(marker: str, timeout_s: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and processes_with(marker):
        time.sleep(0.1)
    return processes_with(marker)


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def test_processes_stop_after_a_check_raises(write_yaml, static_target, tmp_path):
    registry = default_registry()

    @registry.register("explode", NoParams)
    async def explode(params: NoParams, ctx: CheckContext) -> Result:
        """Raises while the target runs."""
        assert processes_with(str(tmp_path / "www")), "the target should be running during checks"
        raise RuntimeError("kaboom")

    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: prov, title: Provisioning, target: {static_target}}}
        sections:
          - id: s
            title: S
            items:
              - {{id: page, title: Page served, severity: high,
                 check: {{type: http, path: /, expect: {{status: 200}}}}}}
              - {{id: bad, title: Raises, severity: low, check: {{type: explode}}}}
        """)
    outcome = asyncio.run(run_audit(AuditOptions(listeners=standard_listeners(),
                                                 checklist=checklist, out_dir=tmp_path / "out"), registry))
    statuses = {i.id: i.status for i in outcome.record.items}
    assert statuses == {"page": Status.PASSED, "bad": Status.ERROR}
    assert outcome.record.target.provisioned
    assert wait_until_gone(str(tmp_path / "www")) == []
    assert (outcome.run_dir / "logs" / "web.log").exists()


def test_target_that_never_gets_ready_exits_3_and_cleans_up(write_yaml, tmp_path):
    marker = f"never-ready-{tmp_path.name}"
    target = write_yaml("t.yaml", f"""
        name: stuck
        base_url: "http://127.0.0.1:{{port.api}}"
        processes:
          - name: stuck
            command: ["{sys.executable}", "-c", "import time; time.sleep(60)", "{marker}"]
            ready: {{url: "{{base_url}}/health", timeout_s: 1}}
            stop: {{grace_s: 1}}
        """)
    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: stuck, title: Stuck, target: {target}}}
        sections:
          - {{id: s, title: S, items: [{{id: a, title: A, severity: high, check: {{type: http, path: /}}}}]}}
        """)
    outcome = asyncio.run(run_audit(AuditOptions(listeners=standard_listeners(),
                                                 checklist=checklist, out_dir=tmp_path / "out"), default_registry()))
    assert outcome.exit_code == 3
    assert outcome.record.items[0].status == Status.ERROR
    assert "not ready" in outcome.record.items[0].message
    assert wait_until_gone(marker) == []


def test_sigint_during_a_check_stops_processes_and_writes_a_partial_report(write_yaml, tmp_path):
    marker = f"silent-{tmp_path.name}"
    # Accepts on the api port and never answers; ready (a plain HTTP server on a second port) only once the
    # api port listens, so the check always finds a connection that hangs, however slowly Python starts.
    silent = ("import http.server, socket, sys, threading, time; s = socket.socket();"
              " s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen();"
              " h = http.server.HTTPServer(('127.0.0.1', int(sys.argv[2])), http.server.SimpleHTTPRequestHandler);"
              " threading.Thread(target=h.serve_forever, daemon=True).start();"
              " conns = [s.accept() for _ in range(100)]; time.sleep(60)")
    target = write_yaml("t.yaml", f"""
        name: silent
        base_url: "http://127.0.0.1:{{port.api}}"
        processes:
          - name: silent
            command: ["{sys.executable}", "-c", "{silent}", "{{port.api}}", "{{port.ready}}", "{marker}"]
            cwd: "{tmp_path}"
            ready: {{url: "http://127.0.0.1:{{port.ready}}/", timeout_s: 30}}
            stop: {{grace_s: 1}}
        """)
    checklist = write_yaml("c.yaml", f"""
        checklist: {{id: sigint, title: Interrupted, target: {target}}}
        sections:
          - id: s
            title: S
            items:
              - {{id: quick, title: Quick, severity: low, not_applicable: {{reason: nothing to check}}}}
              - {{id: slow, title: Slow, severity: high, check: {{type: http, path: /, timeout: 60}}}}
        """)
    harness = Path(sys.executable).parent / "harness"
    proc = subprocess.Popen([str(harness), "audit", str(checklist), "--out", str(tmp_path / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while not processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, output
    assert wait_until_gone(marker) == []
    results = json.loads((tmp_path / "out" / "latest" / "results.json").read_text())
    assert results["complete"] is False and results["interrupted"] == "SIGINT"
    assert results["verdict"] == "REJECTED"
    assert {i["id"]: i["status"] for i in results["items"]} == {"quick": "not_applicable", "slow": "skipped"}


def test_a_port_answered_by_another_program_is_not_readiness(write_yaml, tmp_path):
    """A free port can be taken by someone else before the process binds it; the stranger's answer
    must not count, or the audit would judge the wrong service."""
    from readiness_harness.contract.errors import TargetError
    from readiness_harness.contract.net import free_port
    from readiness_harness.provision import provisioned
    from readiness_harness.target import load_target

    port = free_port()
    stranger = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _until_listening(port)
        target = write_yaml("target.yaml", f"""
            name: late
            base_url: "http://127.0.0.1:{port}"
            processes:
              - name: slow
                command: ["{sys.executable}", "-c", "import time; time.sleep(60)"]
                ready: {{url: "http://127.0.0.1:{port}/", timeout_s: 2}}
                stop: {{grace_s: 1}}
            """)
        spec, base_dir = load_target(target)

        async def scenario() -> None:
            async with provisioned(spec, base_dir=base_dir, log_dir=tmp_path / "logs"):
                pass

        try:
            asyncio.run(scenario())
        except TargetError as exc:
            assert "held by another program" in str(exc)
        else:
            raise AssertionError("the stranger's answer was taken for readiness")
    finally:
        stranger.terminate()
        stranger.wait(10)


def _until_listening(port: int, timeout_s: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")
