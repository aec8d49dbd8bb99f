"""Resource use of a process and its descendants, read from ``/proc`` (Linux).

One :class:`Reading` per sample: resident memory, open file descriptors, threads, TCP connections
(sockets of the process found in ``/proc/<pid>/net/tcp`` and ``tcp6`` in any state but LISTEN) and
CPU time; :class:`TreeSampler` turns successive readings into CPU use in percent of one core.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from readiness_harness.loadtests.noise import descendants, processes

SERIES = ("rss_mb", "cpu_pct", "fds", "threads", "connections")
UNITS = {"rss_mb": "MB", "cpu_pct": "% of a core", "fds": "descriptors", "threads": "threads",
         "connections": "connections"}
LABELS = {"rss_mb": "resident memory", "cpu_pct": "CPU", "fds": "open file descriptors", "threads": "threads",
          "connections": "TCP connections"}
LISTEN = "0A"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") or 100


@dataclass(frozen=True)
class Reading:
    """One process tree at one instant."""

    pids: int
    rss_mb: float
    fds: int
    threads: int
    connections: int
    cpu_ticks: int


def _status(pid: int) -> tuple[float, int]:
    """(resident memory in MB, threads) from ``/proc/<pid>/status``."""
    rss_kb, threads = 0, 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
        elif line.startswith("Threads:"):
            threads = int(line.split()[1])
    return rss_kb / 1024, threads


def _cpu_ticks(pid: int) -> int:
    rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(rest[11]) + int(rest[12])


def _sockets(pid: int) -> tuple[int, set[int]]:
    """(open descriptors, inodes of the sockets among them)."""
    count, inodes = 0, set()
    folder = f"/proc/{pid}/fd"
    for fd in os.listdir(folder):
        count += 1
        try:
            target = os.readlink(f"{folder}/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return count, inodes


def tcp_states(pid: int) -> dict[int, str]:
    """Socket inode -> TCP state (hex, as the kernel writes it) in the network namespace of ``pid``."""
    states: dict[int, str] = {}
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9:
                states[int(fields[9])] = fields[3]
    return states


def read_tree(root: int, *, children: bool) -> Reading | None:
    """The tree's totals, or None when ``root`` is gone."""
    pids = descendants([root], processes()) if children else {root}
    if root not in pids:
        return None
    rss, fds, threads, ticks, sockets = 0.0, 0, 0, 0, set()
    for pid in sorted(pids):
        try:
            memory, count = _status(pid)
            opened, inodes = _sockets(pid)
            ticks += _cpu_ticks(pid)
        except (OSError, ValueError, IndexError):
            continue  # a child that ended between the scan and the read
        rss, threads, fds = rss + memory, threads + count, fds + opened
        sockets |= inodes
    states = tcp_states(root)
    connections = sum(1 for inode in sockets if inode in states and states[inode] != LISTEN)
    return Reading(pids=len(pids), rss_mb=rss, fds=fds, threads=threads, connections=connections, cpu_ticks=ticks)


@dataclass
class Series:
    """Samples of one process tree: seconds since the start, and each series' values."""

    name: str
    t: list[float] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=lambda: {s: [] for s in SERIES})
    pids: set[int] = field(default_factory=set)

    def until(self, t_max: float) -> Series:
        """The samples taken up to ``t_max`` (for example the load's last request)."""
        keep = sum(1 for t in self.t if t <= t_max)
        return Series(self.name, self.t[:keep], {k: v[:keep] for k, v in self.values.items()}, set(self.pids))

    def add(self, t: float, reading: Reading, cpu_pct: float | None) -> None:
        self.t.append(round(t, 3))
        for name, value in (("rss_mb", round(reading.rss_mb, 2)), ("cpu_pct", cpu_pct), ("fds", reading.fds),
                            ("threads", reading.threads), ("connections", reading.connections)):
            self.values[name].append(None if value is None else float(value))


@dataclass
class TreeSampler:
    """Successive readings of one named process tree; CPU from the difference of two readings."""

    series: Series
    children: bool = True
    _last: tuple[float, int, int] | None = None  # (time, root pid, cpu ticks)

    def sample(self, root: int | None, now: float, origin: float) -> None:
        if root is None:
            return
        reading = read_tree(root, children=self.children)
        if reading is None:
            return
        cpu = None
        if self._last is not None and self._last[1] == root and now > self._last[0]:
            cpu = round(100.0 * (reading.cpu_ticks - self._last[2]) / CLOCK_TICKS / (now - self._last[0]), 1)
        self._last = (now, root, reading.cpu_ticks)
        self.series.pids.add(root)
        self.series.add(now - origin, reading, cpu)
