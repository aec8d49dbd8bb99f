"""Choosing the Toxiproxy server: external URL, binary on PATH, embedded subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from readiness_harness.chaos.exceptions import ToxiproxyUnreachable
from readiness_harness.chaos.provider import start_toxiproxy, stop_process, wait_ready_async
from tests.chaos.support import Backends, closed_port, wait_for

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _gone(pid: int) -> bool:
    """No such process, or only its zombie is left for init to reap."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_external_url_is_used_and_nothing_started(backends: Backends, tmp_path: Path) -> None:
    env = {"TOXIPROXY_URL": backends.url + "/", "PATH": str(tmp_path)}
    with start_toxiproxy(env=env) as handle:
        assert (handle.kind, handle.url, handle.process) == ("external", backends.url, None)
        assert handle.version.startswith("2.12.0")
    handle.close()


def test_external_url_unreachable(tmp_path: Path) -> None:
    env = {"TOXIPROXY_URL": f"http://127.0.0.1:{closed_port()}", "PATH": str(tmp_path)}
    with pytest.raises(ToxiproxyUnreachable):
        start_toxiproxy(env=env, timeout=0.5)


def test_embedded_subprocess_started_and_stopped(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no toxiproxy-server there
    with start_toxiproxy(env=env) as handle:
        assert handle.kind == "embedded" and handle.process is not None
        assert handle.version.startswith("2.12.0")
        response = httpx.post(f"{handle.url}/proxies", json={"name": "p", "upstream": "127.0.0.1:9"})
        assert response.status_code == 201
        assert asyncio.run(wait_ready_async(handle.url, timeout=2)) == handle.version
        pid = handle.process.pid
    assert handle.process.returncode == 0  # SIGTERM handled: clean exit
    assert _gone(pid)
    handle.close()  # idempotent


def test_binary_on_path_is_preferred(tmp_path: Path) -> None:
    """A ``toxiproxy-server`` on PATH is started with -host/-port (here one that runs ours)."""
    fake = tmp_path / "toxiproxy-server"
    fake.write_text(
        "#!/bin/sh\n"
        f'PYTHONPATH="{PROJECT_ROOT}" exec "{sys.executable}" -m chaos.server --host "$2" --port "$4"'
        " > /dev/null\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": str(tmp_path)}
    with start_toxiproxy(env=env) as handle:
        assert handle.kind == "real" and handle.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{handle.url}/version").status_code == 200
        process = handle.process
    assert process is not None and _gone(process.pid)


def test_wait_ready_async_times_out() -> None:
    with pytest.raises(ToxiproxyUnreachable):
        asyncio.run(wait_ready_async(f"http://127.0.0.1:{closed_port()}", timeout=0.3))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_standalone_server_prints_ready_line_and_stops_on_signal(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "readiness_harness.chaos.server", "--host", "127.0.0.1", "--port", "0"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert line.startswith("toxiproxy listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        assert httpx.get(f"{url}/version").json()["version"].startswith("2.12.0")
        process.send_signal(signum)
        assert process.wait(timeout=5) == 0
    finally:
        stop_process(process)


def test_embedded_server_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT)},
    )
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        assert not _gone(server_pid)
        parent.kill()  # no atexit, no close(): only the stdin pipe tells the server
        parent.wait(timeout=5)
        assert wait_for(lambda: _gone(server_pid), timeout=5)
    finally:
        stop_process(parent)


_PARENT = """
import os, time
from readiness_harness.chaos.provider import start_toxiproxy
handle = start_toxiproxy(env=dict(os.environ))
print(handle.process.pid, flush=True)
time.sleep(30)
"""
