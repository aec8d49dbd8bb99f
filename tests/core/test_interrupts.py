"""Signals at any moment of the ``harness`` command: exit 130, never a traceback or a bare -15; a second
signal during teardown is acknowledged and ignored (the report and ``latest`` are written, the target is
stopped); a third ends the process at once, still with 130, and the next run cleans up after it."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.core.lifecycle import checklist, ledger_pids, results, run, running, start, wait_for, write_service

SLOW = """\
- {id: slow, title: Slow answer, severity: high, check: {type: http, path: /slow, timeout: 90}}
- {id: health, title: Health, severity: high, check: {type: http, path: /health, expect: {status: 200}}}
"""


def _caught(pid: int, sig: signal.Signals) -> bool:
    """Whether the process has a handler for ``sig`` (SigCgt in /proc/PID/status)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(line.split()[1], 16) for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(mask & (1 << (sig - 1)))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_in_the_first_instants_exits_130_without_a_traceback(tmp_path, sig):
    """Counted from the moment the interpreter runs (it catches SIGINT from its first instant), a signal
    0 to 0.5 s later lands while the command imports its modules, loads the checklist or starts."""
    path = checklist(tmp_path, write_service(tmp_path / "svc"), SLOW)
    handled = 0
    for delay in (0.0, 0.1, 0.2, 0.35, 0.5):
        harness = start("audit", path, "--out", tmp_path / "out", "--quiet", "--base-url", "http://127.0.0.1:9")
        pid = harness.pid
        assert wait_for(lambda: _caught(pid, signal.SIGINT), 30, 0.002), "the interpreter never started"  # noqa: B023
        time.sleep(delay)
        if not _caught(harness.pid, signal.SIGTERM):
            harness.kill()  # between the interpreter's start and the command's first line: not ours yet
            harness.communicate(timeout=30)
            continue
        harness.send_signal(sig)
        _, stderr = harness.communicate(timeout=60)
        handled += 1
        assert harness.returncode == 130, (delay, harness.returncode, stderr[-2000:])
        assert "Traceback" not in stderr, stderr[-2000:]
    assert handled >= 2, "the handlers were not installed in the first instants"


def _interrupt_in_teardown(tmp_path: Path, count: int) -> tuple[int, str, Path, int]:
    """An audit busy in a slow check; ``count`` SIGINTs, the later ones while teardown waits for a service
    that ignores SIGTERM. (exit code, stderr, out folder, the service's pid)."""
    target = write_service(tmp_path / "svc", ignore_term=True, grace_s=4)
    out = tmp_path / "out"
    harness = start("audit", checklist(tmp_path, target, SLOW), "--out", out, "--quiet")
    assert wait_for((tmp_path / "svc" / "slow.marker").exists, 90), "the slow check never reached the service"
    service = next(pid for pid, name in ledger_pids(out).items() if name == "web")
    harness.send_signal(signal.SIGINT)
    for _ in range(count - 1):
        time.sleep(1.0)  # teardown is waiting out the 4 s grace of the service
        harness.send_signal(signal.SIGINT)
    _, stderr = harness.communicate(timeout=60)
    return harness.returncode, stderr, out, service


def test_a_second_signal_in_teardown_is_acknowledged_and_ignored(tmp_path):
    code, stderr, out, service = _interrupt_in_teardown(tmp_path, 2)
    assert code == 130, stderr
    assert "again: ignored" in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert (out / "latest" / "index.html").exists(), "the report and `latest` were written"
    assert results(out)["interrupted"] == "SIGINT"
    assert not running(service), "teardown went to the end: the service was stopped"
    assert not list((out / ".ledger").glob("*.jsonl")), "a finished teardown leaves no ledger"


def test_a_third_signal_aborts_with_130_and_the_next_run_cleans_up(tmp_path):
    code, stderr, out, service = _interrupt_in_teardown(tmp_path, 3)
    assert code == 130, stderr
    assert "aborted" in stderr, stderr
    assert running(service), "the abort left the service that ignores SIGTERM running"
    assert service in ledger_pids(out), "and in the ledger"
    quick = checklist(tmp_path / "next", write_service(tmp_path / "next" / "svc"), """\
        - {id: health, title: Health, severity: high, check: {type: http, path: /health, expect: {status: 200}}}
        """)
    done = run("audit", quick, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert wait_for(lambda: not running(service), 10), "the next run ended the leftover service"
