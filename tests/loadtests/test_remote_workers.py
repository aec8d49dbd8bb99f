"""Distributed load, shown working: two Locust workers in network namespaces of their own, joined to this
host by veth links, attach to the master the harness starts; the combined record holds both workers'
requests and the asked rate is met. Traffic stays on this machine (private /30 links the test makes).

Root only (network namespaces); skipped when not root outside CI, failed in CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from readiness_harness.contract.net import free_port
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.command import PLUGIN
from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.runner import run_load
from readiness_harness.loadtests.spec import LoadSpec
from tests.loadtests.conftest import HERE, ROOT, _wait_ready, make_ctx

CAN = os.geteuid() == 0 and shutil.which("ip") is not None
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not CAN and not os.environ.get("CI"), reason="needs root and iproute2 (ip netns)")]
LOCUSTFILE = HERE / "locustfiles" / "plain_fast.py"


@dataclass(frozen=True)
class Link:
    namespace: str
    host_if: str
    host_ip: str
    ns_ip: str


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextmanager
def namespaces(count: int) -> Iterator[list[Link]]:
    """``count`` namespaces, each with a veth link to the host in a /30 of its own and a default route to it."""
    tag = os.getpid() % 10_000
    links: list[Link] = []
    try:
        for index in range(count):
            base = f"10.213.{(tag % 60) * 4 + index}"
            link = Link(f"hw{tag}n{index}", f"hw{tag}h{index}", f"{base}.1", f"{base}.2")
            links.append(link)
            ip("netns", "add", link.namespace)
            ip("link", "add", link.host_if, "type", "veth", "peer", "name", f"hw{tag}p{index}")
            ip("link", "set", f"hw{tag}p{index}", "netns", link.namespace)
            ip("addr", "add", f"{link.host_ip}/30", "dev", link.host_if)
            ip("link", "set", link.host_if, "up")
            inside = ["netns", "exec", link.namespace, "ip"]
            ip(*inside, "addr", "add", f"{link.ns_ip}/30", "dev", f"hw{tag}p{index}")
            ip(*inside, "link", "set", f"hw{tag}p{index}", "up")
            ip(*inside, "link", "set", "lo", "up")
            ip(*inside, "route", "add", "default", "via", link.host_ip)
        yield links
    finally:
        for link in links:
            subprocess.run(["ip", "netns", "del", link.namespace], capture_output=True, timeout=10, check=False)
            subprocess.run(["ip", "link", "del", link.host_if], capture_output=True, timeout=10, check=False)


@contextmanager
def started(argv: list[str], **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               **kwargs)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        _kill(process)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def worker_env() -> dict[str, str]:
    """A worker machine's environment: none of the harness's variables (the plugin gets its options
    from the master, and sends its record to the master)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HARNESS_", "LOCUST_"))}


def test_two_namespaced_workers_share_the_asked_rate(tmp_path: Path):
    with namespaces(2) as links:
        host = links[0].host_ip  # the target and the master listen on the first link's host side only
        app_port, master_port = free_port(), free_port()
        app = [sys.executable, "-m", "uvicorn", "tests.loadtests.app:app", "--host", host, "--port", str(app_port),
               "--log-level", "warning"]
        with started(app, cwd=ROOT) as server:
            _wait_ready(f"http://{host}:{app_port}/health", server)
            spec = LoadSpec.model_validate({
                "locustfile": str(LOCUSTFILE), "host": f"http://{host}:{app_port}", "target_rps": 40, "users": 8,
                "duration_s": 8, "thresholds": {"error_rate": 0},
                "workers": {"remote": 2, "master_bind_host": host, "master_port": master_port, "wait_s": 30}})
            outcome = asyncio.run(_run_with_workers(spec, tmp_path, links, master_port))
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.achieved_rps is not None and 38 <= outcome.achieved_rps <= 42
    folder = tmp_path / "run/artifacts/load-item/locust"
    remote = sorted(folder.glob("record-remote-*.jsonl"))
    assert len(remote) == 2 and not list(folder.glob("record-local-*.jsonl"))
    per_worker = []
    for path in remote:
        single = tmp_path / path.stem
        single.mkdir()
        shutil.copy(path, single / path.name)
        per_worker.append(Record(single).refresh().requests)
    assert all(count > 0 for count in per_worker), per_worker
    assert outcome.stats is not None and sum(per_worker) == outcome.stats.aggregate.requests == outcome.locust_requests
    hosts = {Record(folder).refresh().sources[p.name]["host"] for p in remote}
    assert len(hosts) == 1  # namespaces share the host name; the two files are two workers by their ids


async def _run_with_workers(spec: LoadSpec, tmp_path: Path, links: list[Link], master_port: int):
    ctx = make_ctx(tmp_path, spec.host or "")
    load = asyncio.create_task(run_load(spec, ctx))
    workers = []
    try:
        for index, link in enumerate(links):
            folder = tmp_path / f"worker-{index}"
            folder.mkdir()
            argv = ["ip", "netns", "exec", link.namespace, sys.executable, "-m", "locust", "-f",
                    f"{PLUGIN},{LOCUSTFILE}", "--worker", "--master-host", links[0].host_ip, "--master-port",
                    str(master_port), "--logfile", str(folder / "worker.log")]
            workers.append(subprocess.Popen(argv, cwd=folder, env=worker_env(), stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, start_new_session=True))
        return await load
    finally:
        for worker in workers:
            _kill(worker)
