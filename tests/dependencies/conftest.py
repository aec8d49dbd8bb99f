"""Fixtures for the dependency providers: skips that hold only outside CI, and leftover probes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readiness_harness.dependencies.local import pg_bin_dir


def _missing(what: str, present: bool) -> pytest.MarkDecorator:
    return pytest.mark.skipif(not present and not os.environ.get("CI"), reason=f"{what} is not installed")


needs_postgres = _missing("PostgreSQL (initdb, pg_ctl)", pg_bin_dir() is not None)
needs_redis = _missing("redis-server", shutil.which("redis-server") is not None)


def processes_mentioning(marker: str) -> list[int]:
    """Pids (not zombies) whose command line mentions ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def listening(port: int) -> bool:
    """Whether anything listens on 127.0.0.1:``port`` (read from /proc/net/tcp)."""
    wanted = f"0100007F:{port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":
            return True
    return False
