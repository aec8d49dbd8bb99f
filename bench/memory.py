"""Peak memory of the harness auditing hostile targets (goal: under 300 MB in every case).

The cases: one answer of 500 MB, a gzip bomb of 2 GB, a burst of 200 answers of 5 MB each, and a
metrics endpoint with a million series. The hostile servers run in this process
(``tests/security/hostile.py``, payloads from generators); the harness runs as a subprocess
(``harness audit --base-url``), under an address-space limit so that a harness without caps ends
in MemoryError instead of taking the machine, and its peak RSS is read from ``wait4``.

``python -m bench.memory [CASE ...]`` prints the figures; ``make bench`` calls :func:`run`.
``BENCH_HARNESS_PYTHONPATH=DIR`` runs another checkout's code (DIR laid out as the
``readiness_harness`` package) to measure it side by side; ``BENCH_HARNESS_LABEL`` names it in
the results. Figures are measured, never asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from tests.security.hostile import MIB, Handler, HostileServer, big_body, gzip_bomb, metric_series

ROOT = Path(__file__).resolve().parent.parent
GOAL_MB = 300
ADDRESS_SPACE_LIMIT = 8 * 1024 * MIB
CASES: dict[str, tuple[dict[str, Handler], str]] = {
    "answer_500mb": ({"/big": big_body(500 * MIB)},
                     "check: {type: http, path: /big, expect: {status: 200}}"),
    "gzip_bomb_2gb": ({"/bomb": gzip_bomb(2048 * MIB)},
                      "check: {type: http, path: /bomb, expect: {status: 200}}"),
    "burst_200x5mb": ({"/five": big_body(5 * MIB)},
                      "check: {type: burst, request: {path: /five}, count: 200, concurrency: 10, "
                      "expect: {min_status_count: {200: 200}}}"),
    "metrics_1m_series": ({"/metrics": metric_series(1_000_000)},
                          "check: {type: metrics, families: [{name: up_total}, {name: wide_series}]}"),
}


def _checklist(folder: Path, check: str) -> Path:
    path = folder / "checklist.yaml"
    path.write_text(textwrap.dedent(f"""\
        checklist: {{id: memory, title: Memory under a hostile target}}
        sections:
          - id: s
            title: Hostile
            items:
              - id: case
                title: One hostile answer
                severity: high
                {check}
        """), encoding="utf-8")
    return path


def _command(checklist: Path, base_url: str, out: Path) -> list[str]:
    harness = [sys.executable, "-c", "import sys; from readiness_harness.cli import main; sys.exit(main())",
               "audit", str(checklist), "--base-url", base_url, "--out", str(out), "--quiet"]
    prlimit = shutil.which("prlimit")
    return [prlimit, f"--as={ADDRESS_SPACE_LIMIT}", "--", *harness] if prlimit else harness


def measure(name: str) -> dict[str, Any]:
    """One case: the harness's peak RSS, wall time, exit code and the item's status and message."""
    routes, check = CASES[name]
    env = dict(os.environ)
    if os.environ.get("BENCH_HARNESS_PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["BENCH_HARNESS_PYTHONPATH"]
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as folder, HostileServer(routes) as server:
        checklist = _checklist(Path(folder), check)
        command = _command(checklist, server.url, Path(folder) / "out")
        started = time.perf_counter()
        quiet = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
        pid = os.posix_spawn(command[0], command, env, file_actions=quiet)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - started
        item = _item(Path(folder) / "out")
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "wall_s": round(wall, 2),
            "exit_code": os.waitstatus_to_exitcode(status), "status": item.get("status", "no report"),
            "message": str(item.get("message", ""))[:200], "goal_met": usage.ru_maxrss / 1024 < GOAL_MB}


def _item(out: Path) -> dict[str, Any]:
    results = next(out.glob("memory-*/results.json"), None)
    if results is None:
        return {}
    items = json.loads(results.read_text(encoding="utf-8"))["items"]
    return items[0] if items else {}


def run(names: list[str] | None = None) -> dict[str, Any]:
    figures: dict[str, Any] = {name: measure(name) for name in names or CASES}
    other = "another checkout (BENCH_HARNESS_PYTHONPATH)" if os.environ.get("BENCH_HARNESS_PYTHONPATH") else None
    figures["harness_code"] = os.environ.get("BENCH_HARNESS_LABEL") or other or "this checkout"
    return figures


if __name__ == "__main__":
    for case, figures in run(sys.argv[1:] or None).items():
        if not isinstance(figures, dict):
            continue
        print(f"{case}: {figures['peak_rss_mb']} MB peak, {figures['wall_s']} s, exit {figures['exit_code']}, "
              f"{figures['status']}: {figures['message']}")
