"""A tiny service, its target file, and helpers to run the real ``harness`` command against it and to
interrupt it: the signal, cleanup and ledger tests share them. Loopback only; every wait is bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

HARNESS = str(Path(sys.executable).parent / "harness")

SERVICE = r'''
"""Test service: GET /health, GET /slow (writes SLOW_MARKER, then waits); MODE=broken writes COPY_PIDFILE
and keeps running without serving; IGNORE_TERM=1 ignores SIGTERM."""
import http.server, os, signal, sys, time

if os.environ.get("IGNORE_TERM") == "1":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.environ.get("MODE") == "broken":
    with open(os.environ["COPY_PIDFILE"], "w") as handle:
        handle.write(str(os.getpid()))
    print("starting with a broken configuration", flush=True)
    while True:
        time.sleep(1)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            open(os.environ["SLOW_MARKER"], "w").close()
            time.sleep(float(os.environ.get("SLOW_S", "60")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def write_service(folder: Path, *, ignore_term: bool = False, grace_s: float = 2, proxy: bool = False) -> Path:
    """The service script and a target file for it (behind a fault proxy named ``upstream`` if ``proxy``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "svc.py").write_text(SERVICE)
    base = "http://{proxy.upstream}" if proxy else "http://127.0.0.1:{port.web}"
    proxies = ('proxies:\n  - {name: upstream, listen: "127.0.0.1:{port.front}", upstream: "127.0.0.1:{port.web}"}\n'
               if proxy else "")
    target = folder / "target.yaml"
    target.write_text(textwrap.dedent(f"""\
        name: svc
        base_url: "{base}"
        processes:
          - name: web
            command: ["{sys.executable}", "{folder / 'svc.py'}", "{{port.web}}"]
            env: {{SLOW_MARKER: "{folder / 'slow.marker'}", IGNORE_TERM: "{int(ignore_term)}"}}
            ready: {{url: "http://127.0.0.1:{{port.web}}/health", timeout_s: 20}}
            stop: {{grace_s: {grace_s}}}
        """) + proxies)
    return target


def checklist(folder: Path, target: Path, items: str) -> Path:
    path = folder / "checklist.yaml"
    body = textwrap.indent(textwrap.dedent(items), "      ")
    path.write_text(f"checklist: {{id: life, title: Lifecycle, target: {target}}}\n"
                    f"sections:\n  - id: s\n    title: S\n    items:\n{body}")
    return path


def start(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([HARNESS, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def run(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HARNESS, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, check=False)


def wait_for(predicate: Callable[[], object], timeout_s: float = 60.0, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return False


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ledger_pids(out: Path) -> dict[int, str]:
    """pid -> name of every process in the ledgers left in ``out``."""
    found = {}
    for path in (out / ".ledger").glob("*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("op") == "process":
                found[entry["pid"]] = entry["name"]
    return found


def results(out: Path) -> dict:
    return json.loads((out / "latest" / "results.json").read_text())
