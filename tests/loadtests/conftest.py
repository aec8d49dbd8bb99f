"""Fixtures for the load tests: a tiny loopback app, a check context, and a leftover-process guard."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.net import free_port
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def app_url() -> Iterator[str]:
    """``tests/loadtests/app.py`` under uvicorn on a free loopback port, stopped at teardown."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.loadtests.app:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{url}/health", process)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"test app exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"test app not ready at {url}")


def make_ctx(tmp_path: Path, base_url: str, *, timeout_s: float = 60.0) -> CheckContext:
    env = AuditEnvironment(target=external_target(base_url), run_dir=tmp_path / "run", checklist_dir=HERE)
    return CheckContext(audit=env, item_id="load-item", timeout_s=timeout_s)


def lingering(folder: Path) -> list[psutil.Process]:
    """Processes still running whose command line names ``folder`` (Locust masters, forks, workers)."""
    marker = str(folder)
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if marker in " ".join(proc.info.get("cmdline") or []) and proc.status() != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found
