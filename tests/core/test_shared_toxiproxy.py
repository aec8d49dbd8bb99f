"""An external Toxiproxy (``TOXIPROXY_URL``) shared by audits: each run's proxies carry a run-unique prefix
(invisible to the checklist), are in the ledger before they exist, and are deleted by the run or, when it
was killed, by the next one, which says so in its report. The "external" server is the embedded one
started on its own (``python -m readiness_harness.chaos.server``)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx
import pytest

from readiness_harness.contract.net import free_port
from tests.core.lifecycle import checklist, results, run, start, wait_for, write_service

FAULT = """\
- id: upstream-slow
  title: Survives a slow upstream
  severity: high
  check:
    type: chaos
    steady_state: [{name: health, request: {path: /health}, expect: {status: 200}}]
    faults: [{proxy: upstream, toxic: {type: latency, attributes: {latency: 10}}}]
    during: []
    hold_s: %s
    recovery: {within_s: 10}
"""


class Server:
    """The embedded Toxiproxy as an independent process on a fixed port (so it can be restarted there)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, "-m", "readiness_harness.chaos.server", "--host",
                                         "127.0.0.1", "--port", str(self.port)], stdout=subprocess.DEVNULL)
        assert wait_for(self._answers, 20), "the standalone Toxiproxy did not start"

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/version", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def proxies(self) -> dict:
        return httpx.get(f"{self.url}/proxies", timeout=5).json()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def server():
    shared = Server()
    yield shared
    shared.close()


def _toxic_injected(server: Server) -> bool:
    return any(p["toxics"] for p in server.proxies().values())


def test_a_run_killed_mid_fault_is_cleaned_up_and_reported_by_the_next(tmp_path, server):
    env = {"TOXIPROXY_URL": server.url}
    out = tmp_path / "out"
    path = checklist(tmp_path, write_service(tmp_path / "svc", proxy=True), FAULT % 60)
    harness = start("audit", path, "--out", out, "--quiet", env=env)
    assert wait_for(lambda: _toxic_injected(server), 90), "the fault was never injected"
    [leftover] = server.proxies()
    assert leftover.endswith(".upstream") and leftover != "upstream", "the server name carries the run's prefix"
    harness.kill()
    harness.wait(timeout=10)
    done = run("audit", checklist(tmp_path, write_service(tmp_path / "svc", proxy=True), FAULT % 0), "--out", out,
               "--quiet", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    notes = " ".join(results(out)["notes"])
    assert f"deleted leftover proxy '{leftover}' ('upstream') on {server.url}" in notes, notes
    assert leftover in (out / "latest" / "index.html").read_text(), "the report says what was cleaned"
    assert server.proxies() == {}, "nothing is left on the shared server"


def test_two_audits_share_one_toxiproxy(tmp_path, server):
    env = {"TOXIPROXY_URL": server.url}
    runs = []
    for name in ("one", "two"):
        path = checklist(tmp_path / name, write_service(tmp_path / name / "svc", proxy=True), FAULT % 3)
        runs.append(start("audit", path, "--out", tmp_path / name / "out", "--quiet", env=env))
    for harness in runs:
        stdout, stderr = harness.communicate(timeout=180)
        assert harness.returncode == 0, stdout + stderr
    assert server.proxies() == {}


def test_two_quick_interrupts_still_delete_the_proxies(tmp_path, server):
    env = {"TOXIPROXY_URL": server.url}
    out = tmp_path / "out"
    harness = start("audit", checklist(tmp_path, write_service(tmp_path / "svc", proxy=True), FAULT % 60),
                    "--out", out, "--quiet", env=env)
    assert wait_for(lambda: _toxic_injected(server), 90), "the fault was never injected"
    harness.send_signal(signal.SIGINT)
    time.sleep(0.02)
    harness.send_signal(signal.SIGINT)
    _, stderr = harness.communicate(timeout=60)
    assert harness.returncode == 130, stderr
    assert server.proxies() == {}, "the second Ctrl-C did not cut teardown short"
    assert not list((out / ".ledger").glob("*.jsonl"))


def test_teardown_that_cannot_delete_keeps_the_ledger_for_the_next_run(tmp_path, server):
    env = {"TOXIPROXY_URL": server.url}
    out = tmp_path / "out"
    harness = start("audit", checklist(tmp_path, write_service(tmp_path / "svc", proxy=True), FAULT % 60),
                    "--out", out, "--quiet", env=env)
    assert wait_for(lambda: _toxic_injected(server), 90), "the fault was never injected"
    server.close()  # the shared server goes away: teardown cannot delete the run's proxy
    harness.send_signal(signal.SIGINT)
    _, stderr = harness.communicate(timeout=60)
    assert harness.returncode == 130, stderr
    notes = " ".join(results(out)["notes"])
    assert "the ledger" in notes and "is kept" in notes, notes
    [kept] = (out / ".ledger").glob("*.jsonl")
    back = Server(server.port)  # the same server comes back, empty
    try:
        done = run("audit", checklist(tmp_path, write_service(tmp_path / "svc", proxy=True), FAULT % 0), "--out",
                   out, "--quiet", env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "already gone" in " ".join(results(out)["notes"])
        assert not kept.exists(), "the next run finished the job and removed the ledger"
    finally:
        back.close()
        server.process = back.process  # the fixture's close() then waits on a finished process
