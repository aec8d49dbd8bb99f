"""Load generation efficiency against a fast endpoint on loopback (nginx serving a small static file):
the harness's ``load`` check (Locust with the harness's plugin recording every request) against bare
``locust --headless`` with the same locustfile, users and duration, interleaved round by round so
drift in the machine's load falls on both sides; the ratio is the median of the rounds' ratios.
Each run's CPU time per request (its Locust processes' user + system time) is compared the same way:
unlike the achieved rate, it barely moves when other work competes for the cores.
The same comparison with two Locust processes on both sides (``processes: 2`` against ``locust
--processes 2``), the rate one process cannot reach on two cores; ``processes: 2`` against one; ``wrk``
as the ceiling."""

from __future__ import annotations

import asyncio
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import Server
from readiness_harness.checks import default_registry
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.net import free_port
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile_fast.py"
USERS, DURATION_S, ROUNDS = 20, 10, 5

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
  server {{ listen 127.0.0.1:{port}; root {prefix}/www; location / {{ index index.html; }} }}
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
        (Path(prefix) / "www").mkdir()
        (Path(prefix) / "www" / "index.html").write_text("ok\n")
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", prefix], stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@dataclass(frozen=True)
class Sample:
    """One Locust run: achieved rate, and the CPU its processes spent per request (contention-proof)."""

    rps: float
    cpu_us_per_request: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(run: Callable[[str], int], url: str) -> Sample:
    """Run once; Locust's processes are this process's children, reaped before ``run`` returns."""
    before = _children_cpu()
    requests = run(url)
    spent = _children_cpu() - before
    return Sample(rps=requests / DURATION_S, cpu_us_per_request=1e6 * spent / requests if requests else 0.0)


def harness_requests(url: str, processes: int = 1) -> int:
    registry = default_registry()
    check = registry.get("load")
    if check is None:
        raise RuntimeError("no load check type registered")
    params = check.params.model_validate({"locustfile": str(LOCUSTFILE), "users": USERS, "spawn_rate": USERS,
                                          "duration_s": DURATION_S, "processes": processes})
    with tempfile.TemporaryDirectory(prefix="bench-load-") as run_dir:
        env = AuditEnvironment(target=external_target(url), run_dir=Path(run_dir), checklist_dir=Path.cwd())
        result = asyncio.run(check.run(params, CheckContext(audit=env, item_id="bench", timeout_s=DURATION_S + 60)))
    return int(result.measurements["requests"])


def bare_requests(url: str, processes: int = 1) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-bare-") as out:
        stats = Path(out) / "stats.json"
        command = [sys.executable, "-m", "locust", "--headless", "-f", str(LOCUSTFILE), "--host", url,
                   "-u", str(USERS), "-r", str(USERS), "-t", f"{DURATION_S}s",
                   "--json-file", str(stats.with_suffix("")), "--only-summary", "--skip-log",
                   *(["--processes", str(processes)] if processes > 1 else [])]
        subprocess.run(command, capture_output=True, timeout=DURATION_S + 60, check=False)
        entries = json.loads(stats.read_text())
    return int(sum(e["num_requests"] for e in entries))


def wrk_rps(url: str) -> float | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run([wrk, "-t2", "-c50", "-d5s", url + "/"], capture_output=True, text=True, timeout=60).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return float(match.group(1)) if match else None


def side_by_side(url: str, processes: int) -> dict[str, Any]:
    """Interleaved rounds of the load check and bare Locust with ``processes`` Locust processes each."""
    harness: list[Sample] = []
    bare: list[Sample] = []
    for index in range(ROUNDS):  # alternate (and swap who goes first), so drift falls on both sides
        pair = [(harness, lambda u: harness_requests(u, processes)), (bare, lambda u: bare_requests(u, processes))]
        for samples, function in pair if index % 2 == 0 else reversed(pair):
            samples.append(measured(function, url))
    h_rps, b_rps = (statistics.median(s.rps for s in side) for side in (harness, bare))
    h_cpu, b_cpu = (statistics.median(s.cpu_us_per_request for s in side) for side in (harness, bare))
    pairs = list(zip(harness, bare, strict=True))
    ratios = [h.rps / b.rps for h, b in pairs if b.rps]  # each round's two runs side by side
    efficiency = [b.cpu_us_per_request / h.cpu_us_per_request for h, b in pairs if h.cpu_us_per_request]
    return {"harness_rps": round(h_rps, 1), "bare_rps": round(b_rps, 1),
            "harness_vs_bare_ratio": round(statistics.median(ratios), 3) if ratios else None,
            "ratio_per_round": [round(r, 3) for r in ratios],
            "harness_cpu_us_per_request": round(h_cpu, 1), "bare_cpu_us_per_request": round(b_cpu, 1),
            "cpu_efficiency_ratio": round(statistics.median(efficiency), 3) if efficiency else None,
            "cpu_efficiency_per_round": [round(e, 3) for e in efficiency],
            "harness_runs": [round(s.rps, 1) for s in harness], "bare_runs": [round(s.rps, 1) for s in bare]}


def run() -> dict[str, Any]:
    with fast_endpoint() as url:
        one = side_by_side(url, 1)
        two = side_by_side(url, 2)
        ceiling = wrk_rps(url)
    return {"endpoint": "nginx static file" if shutil.which("nginx", path="/usr/sbin:/usr/bin")
            else "python socket server", "users": USERS, "duration_s": DURATION_S, "rounds": ROUNDS, **one,
            "two_processes": two,
            "two_processes_vs_one": round(two["harness_rps"] / one["harness_rps"], 2) if one["harness_rps"] else None,
            "wrk_rps": round(ceiling, 1) if ceiling else None}

if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
