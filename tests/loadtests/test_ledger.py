"""Locust processes are in the run's ledger: a harness killed with SIGKILL mid-load leaves them running,
and the next run ends them (``--processes`` children included) and says so."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.scenarios.conftest import wait_for

pytestmark = pytest.mark.slow

HARNESS = str(Path(sys.executable).parent / "harness")
LOCUSTFILE = """
from locust import HttpUser, constant, task


class Reader(HttpUser):
    wait_time = constant(0.2)

    @task
    def index(self):
        self.client.get("/")
"""


def checklist(write_yaml, target: Path, duration_s: int) -> Path:
    write_yaml("plain_locustfile.py", LOCUSTFILE)
    return write_yaml(f"load-{duration_s}.yaml", f"""
        checklist: {{id: ledger-load, title: Ledger, target: {target}}}
        sections:
          - id: perf
            title: Perf
            items:
              - id: long-load
                title: A long load
                severity: low
                check: {{type: load, locustfile: plain_locustfile.py, users: 2, processes: 2,
                         duration_s: {duration_s}, thresholds: {{error_rate: 100}}}}
        """)


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _locust_pids(out: Path) -> set[int]:
    pids = set()
    for ledger in (out / ".ledger").glob("*.jsonl"):
        for line in ledger.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("op") == "process" and entry["name"].startswith("locust"):
                pids.add(int(entry["pid"]))
    return pids


def _group(pgid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


def test_sigkill_mid_load_is_cleaned_up_by_the_next_run(write_yaml, static_target: Path, tmp_path: Path):
    out = tmp_path / "out"
    proc = subprocess.Popen([HARNESS, "audit", str(checklist(write_yaml, static_target, 120)), "--out", str(out),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: bool(_locust_pids(out)) and bool(list(out.glob("*/artifacts/long-load/locust/"
                                                                              "record-*.jsonl"))), 90)
        time.sleep(1.0)  # the --processes children are forked
        masters = _locust_pids(out)
        group = set().union(*(_group(pid) for pid in masters))
        assert len(group) >= 3, "master and two forked children"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert all(_running(pid) for pid in masters), "SIGKILL of the harness leaves Locust running"
    started = time.monotonic()
    rerun = subprocess.run([HARNESS, "audit", str(checklist(write_yaml, static_target, 1)), "--out", str(out),
                            "--quiet"], capture_output=True, text=True, timeout=120)
    assert rerun.returncode in (0, 1), rerun.stdout + rerun.stderr
    latest = json.loads((out / "latest" / "results.json").read_text())
    notes = " ".join(latest["notes"])
    assert "stopped leftover process 'locust locust (master)'" in notes
    assert wait_for(lambda: not any(_running(pid) for pid in group), 10), "the killed run's Locust processes remain"
    assert time.monotonic() - started < 100
