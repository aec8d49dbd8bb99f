"""Load generation efficiency against a fast endpoint on loopback (nginx ``return 200``):
the harness's ``load`` check against bare ``locust --headless`` with the same locustfile,
users and duration; ``processes: 2`` against one; ``wrk`` as the ceiling."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.servers import Server
from readiness_harness.checks import default_registry
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.net import free_port
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_fast.py"
USERS, DURATION_S, ROUNDS = 20, 10, 2

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {prefix}; proxy_temp_path {prefix}; fastcgi_temp_path {prefix};
  uwsgi_temp_path {prefix}; scgi_temp_path {prefix};
  server {{ listen 127.0.0.1:{port}; location / {{ return 200 "ok"; }} }}
}}
"""


@contextmanager
def fast_endpoint() -> Iterator[str]:
    """nginx answering ``200 ok`` on a free loopback port (a small socket server without nginx)."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        with Server("http") as port:
            yield f"http://127.0.0.1:{port}"
        return
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as prefix:
        port = free_port()
        conf = Path(prefix) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(prefix=prefix, port=port))
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", prefix], stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def harness_rps(url: str, processes: int = 1) -> float:
    registry = default_registry()
    check = registry.get("load")
    if check is None:
        raise RuntimeError("no load check type registered")
    params = check.params.model_validate({"locustfile": str(LOCUSTFILE), "users": USERS, "spawn_rate": USERS,
                                          "duration_s": DURATION_S, "processes": processes})
    with tempfile.TemporaryDirectory(prefix="bench-load-") as run_dir:
        env = AuditEnvironment(target=external_target(url), run_dir=Path(run_dir), checklist_dir=Path.cwd())
        result = asyncio.run(check.run(params, CheckContext(audit=env, item_id="bench", timeout_s=DURATION_S + 60)))
    return result.measurements["requests"] / DURATION_S


def bare_rps(url: str) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as out:
        stats = Path(out) / "stats.json"
        command = [sys.executable, "-m", "locust", "--headless", "-f", str(LOCUSTFILE), "--host", url,
                   "-u", str(USERS), "-r", str(USERS), "-t", f"{DURATION_S}s",
                   "--json-file", str(stats.with_suffix("")), "--only-summary", "--skip-log"]
        subprocess.run(command, capture_output=True, timeout=DURATION_S + 60, check=False)
        entries = json.loads(stats.read_text())
    return sum(e["num_requests"] for e in entries) / DURATION_S


def wrk_rps(url: str) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run([wrk, "-t2", "-c50", "-d5s", url + "/"], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else None


def run() -> dict[str, Any]:
    with fast_endpoint() as url:
        harness_runs, bare_runs = [], []
        for _ in range(ROUNDS):  # alternate, so drift in machine load falls on both sides
            harness_runs.append(harness_rps(url))
            bare_runs.append(bare_rps(url))
        harness, bare = statistics.median(harness_runs), statistics.median(bare_runs)
        two = harness_rps(url, processes=2)
        ceiling = wrk_rps(url)
    return {"endpoint": "nginx" if shutil.which("nginx", path="/usr/sbin:/usr/bin") else "python socket server",
            "users": USERS, "duration_s": DURATION_S, "harness_rps": round(harness, 1), "bare_rps": round(bare, 1),
            "harness_vs_bare_ratio": round(harness / bare, 3) if bare else None,
            "two_processes_rps": round(two, 1), "two_processes_vs_one": round(two / harness, 2) if harness else None,
            "wrk_rps": round(ceiling, 1) if ceiling else None}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
