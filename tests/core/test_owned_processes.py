"""Every process a check starts is owned like the target's: ledgered at once, stopped on SIGINT/SIGTERM, and
ended by the next run when the harness was killed (the ``startup`` check's copy of the service)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.core.lifecycle import checklist, ledger_pids, results, run, running, start, wait_for, write_service

STARTUP = """\
- id: broken-config
  title: A broken configuration stops the service
  severity: high
  check: {{type: startup, process: web, set: {{MODE: broken, COPY_PIDFILE: "{pidfile}"}},
          expect_mentions: [BROKEN_SETTING], within_s: 120}}
"""


def _copy_pid(pidfile: Path) -> int:
    assert wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), 90), "the copy never started"
    return int(pidfile.read_text())


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_stops_the_copy_a_check_started(tmp_path, sig):
    pidfile = tmp_path / "copy.pid"
    path = checklist(tmp_path, write_service(tmp_path / "svc"), STARTUP.format(pidfile=pidfile))
    harness = start("audit", path, "--out", tmp_path / "out", "--quiet")
    copy = _copy_pid(pidfile)
    assert copy in ledger_pids(tmp_path / "out"), "the copy is in the ledger while it runs"
    harness.send_signal(sig)
    _, stderr = harness.communicate(timeout=60)
    assert harness.returncode == 130, stderr
    assert wait_for(lambda: not running(copy), 10), "the copy outlived the interrupted audit"
    assert results(tmp_path / "out")["interrupted"] == sig.name


def test_the_next_run_ends_the_copy_of_a_killed_harness(tmp_path):
    pidfile = tmp_path / "copy.pid"
    out = tmp_path / "out"
    path = checklist(tmp_path, write_service(tmp_path / "svc"), STARTUP.format(pidfile=pidfile))
    harness = start("audit", path, "--out", out, "--quiet")
    copy = _copy_pid(pidfile)
    harness.kill()
    harness.wait(timeout=10)
    assert running(copy), "SIGKILL leaves the copy running (nothing could stop it)"
    quick = checklist(tmp_path / "next", write_service(tmp_path / "next" / "svc"), """\
        - {id: health, title: Health, severity: high, check: {type: http, path: /health, expect: {status: 200}}}
        """)
    done = run("audit", quick, "--out", out, "--quiet")
    assert done.returncode == 0, done.stdout + done.stderr
    assert wait_for(lambda: not running(copy), 10), "the next run did not end the leftover copy"
    notes = " ".join(results(out)["notes"])
    assert f"stopped leftover process 'web (startup check broken-config)' (pid {copy})" in notes, notes
