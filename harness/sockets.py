"""Who listens on a loopback port: the processes holding a listening TCP socket, read from /proc.

A port picked free for a process is free only until someone binds it; another program (a second
audit, a test) may take it first. A readiness URL answered by that program would let an audit judge
the wrong service, so readiness counts only when the port's listener belongs to the started process
(or a process it started). Where /proc cannot tell (not Linux, or another user's processes),
nothing is claimed either way.
"""

from __future__ import annotations

import os
from pathlib import Path

_LISTEN = "0A"


def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Socket inodes in LISTEN state on ``port`` (IPv4 and IPv6)."""
    found: set[str] = set()
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (proc / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) == port:
                found.add(fields[9])
    return found


def listener_pids(port: int, proc: Path = Path("/proc")) -> set[int] | None:
    """The processes holding a listening socket on ``port``; None when /proc cannot tell."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return set()
    wanted = {f"socket:[{inode}]" for inode in inodes}
    pids: set[int] = set()
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (entry / "fd").iterdir()}
        except OSError:
            continue
        if links & wanted:
            pids.add(int(entry.name))
    return pids or None  # a listener whose owner we may not see


def started_by_us(pid: int, proc: Path = Path("/proc")) -> bool:
    """True when ``pid`` is in the process group of a process this harness started (each target
    process leads a session of its own whose leader is our child)."""
    try:
        leader = os.getpgid(pid)
        stat = (proc / str(leader) / "stat").read_text()
    except OSError:
        return False
    parent = int(stat.rsplit(")", 1)[1].split()[1])
    return parent == os.getpid()
