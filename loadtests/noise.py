"""Host CPU during a load: how much of the machine went to the generator, the target, and other work.

Sampled from ``/proc/stat`` (the whole host) and ``/proc/<pid>/stat`` (each process) every
``INTERVAL_S`` while Locust runs. The generator is every process in the Locust process groups the
harness started; the target is every process the harness started for it and their descendants
(unknown for a target it did not start, whose CPU then counts as other work); the harness is the
rest of the harness's own process tree (itself, its fault proxy, its Prometheus). Whatever is
left is other work. A latency limit missed while the host had no idle CPU and other work held a
good part of it says nothing about the service: the result is then inconclusive.

The target's and the generator's threads are also sampled from ``/proc/<pid>/task/<tid>/schedstat``:
``target_wait`` is the time the target's threads were ready to run but waiting for a CPU, per second
of wall clock, and ``target_runnable`` (``generator_runnable``) the share of the time the busiest
thread was running or waiting to run. A service that other work starves of CPU is runnable nearly all
the time and waits; one whose latency has another cause (a lock, a throttle, a slow dependency) sleeps
much of the time, however busy the host is. A Locust process runnable nearly all the time cannot keep
its schedule or time its requests faithfully, whether its own work or other work's took the CPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

INTERVAL_S = 1.0
RESCAN_S = 5.0
BUSY_FRACTION = 0.9  # the host counts as saturated above this share of all cores busy...
OTHER_FRACTION = 0.2  # ...when other work held at least this share of all cores
CPUS = os.cpu_count() or 1


def host_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def processes() -> dict[int, tuple[int, int, int]]:
    """Every process: pid -> (parent pid, process group, user + system ticks)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[int(entry.name)] = (int(rest[1]), int(rest[2]), int(rest[11]) + int(rest[12]))
    return out


def descendants(roots: Iterable[int], table: dict[int, tuple[int, int, int]]) -> set[int]:
    found = {pid for pid in roots if pid in table}
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    stack = list(found)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def classify(table: dict[int, tuple[int, int, int]], target_roots: set[int],
             generator_groups: set[int]) -> tuple[set[int], set[int], set[int]]:
    """(generator, target, harness) pids; every other pid is other work."""
    generator = {pid for pid, row in table.items() if row[1] in generator_groups}
    target = descendants(target_roots, table) - generator
    harness = descendants([os.getpid()], table) - generator - target
    return generator, target, harness


@dataclass(frozen=True)
class CpuSample:
    """CPU use between two samples, in cores (1.0 = one core busy all the time)."""

    t: float
    host: float
    generator: float
    target: float
    harness: float
    target_wait: float = 0.0  # seconds the target's threads waited for a CPU, per second
    target_runnable: float = 0.0  # share of the time the target's busiest thread was running or waiting to run
    generator_runnable: float = 0.0  # the same for the busiest thread of the Locust processes

    @property
    def other(self) -> float:
        return max(0.0, self.host - self.generator - self.target - self.harness)


def thread_times(pid: int) -> dict[tuple[int, str], tuple[int, int]]:
    """Each thread of ``pid``: (nanoseconds on a CPU, nanoseconds runnable but waiting for one), since it started."""
    out: dict[tuple[int, str], tuple[int, int]] = {}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            on_cpu, waiting = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[:2]
            out[(pid, tid)] = (int(on_cpu), int(waiting))
        except (OSError, ValueError):
            continue
    return out


def _scheduling(now: dict[tuple[int, str], tuple[int, int]], then: dict[tuple[int, str], tuple[int, int]],
                wall_s: float) -> tuple[float, float]:
    """(seconds waited for a CPU per second, largest share of the time one thread was runnable) between two reads."""
    waited, busiest = 0, 0
    for key, (on_cpu, waiting) in now.items():
        before = then.get(key, (on_cpu, waiting))
        waited += max(0, waiting - before[1])
        busiest = max(busiest, max(0, on_cpu - before[0]) + max(0, waiting - before[1]))
    return waited / 1e9 / wall_s, min(1.0, busiest / 1e9 / wall_s)


def _ticks(pid: int) -> int | None:
    try:
        rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(rest[11]) + int(rest[12])


@dataclass
class CpuSampler:
    """Call :meth:`sample` at intervals; samples are CPU use since the previous call.

    Which processes are the generator's, the target's and the harness's comes from a scan of every
    process, repeated every ``RESCAN_S`` (and at each of the first samples, while Locust forks);
    in between only those processes and ``/proc/stat`` are read, so sampling costs little CPU.
    """

    target_roots: set[int] = field(default_factory=set)
    generator_groups: set[int] = field(default_factory=set)
    samples: list[CpuSample] = field(default_factory=list)
    _roles: dict[int, int] = field(default_factory=dict)  # pid -> 0 generator, 1 target, 2 harness
    _scanned: float = 0.0
    _last: tuple[float, int, dict[int, int]] | None = None
    _threads: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)  # the target's, last sample
    _generator_threads: dict[tuple[int, str], tuple[int, int]] = field(default_factory=dict)

    def _rescan(self, now: float) -> None:
        generator, target, harness = classify(processes(), self.target_roots, self.generator_groups)
        self._roles = {**dict.fromkeys(harness, 2), **dict.fromkeys(target, 1), **dict.fromkeys(generator, 0)}
        self._scanned = now

    def sample(self, now: float) -> None:
        try:
            if len(self.samples) < 4 or now - self._scanned >= RESCAN_S:
                self._rescan(now)
            busy, _ = host_ticks()
        except OSError:
            return
        ticks = {pid: value for pid in self._roles if (value := _ticks(pid)) is not None}
        threads = {key: times for pid, role in self._roles.items() if role == 1
                   for key, times in thread_times(pid).items()}
        generator_threads = {key: times for pid, role in self._roles.items() if role == 0
                             for key, times in thread_times(pid).items()}
        if self._last is not None:
            then, busy_then, ticks_then = self._last
            scale = (now - then) * (os.sysconf("SC_CLK_TCK") or 100)
            if scale > 0:
                cores = [0.0, 0.0, 0.0]
                for pid, value in ticks.items():
                    cores[self._roles[pid]] += max(0, value - ticks_then.get(pid, value)) / scale
                wait, runnable = _scheduling(threads, self._threads, now - then)
                _, generating = _scheduling(generator_threads, self._generator_threads, now - then)
                self.samples.append(CpuSample(t=now, host=(busy - busy_then) / scale, generator=cores[0],
                                              target=cores[1], harness=cores[2], target_wait=wait,
                                              target_runnable=runnable, generator_runnable=generating))
        self._last = (now, busy, ticks)
        self._threads = threads
        self._generator_threads = generator_threads


@dataclass(frozen=True)
class Noise:
    """The host's CPU over a span of the run, averaged, and whether other work saturated it."""

    samples: int
    host: float
    generator: float
    target: float
    harness: float
    other: float
    generator_peak: float
    target_known: bool
    target_wait: float = 0.0  # mean seconds per second the target's threads waited for a CPU
    target_runnable: float = 0.0  # mean share of the time the target's busiest thread was runnable
    generator_runnable: float = 0.0  # mean share of the time the busiest Locust thread was runnable

    @property
    def saturated_by_others(self) -> bool:
        return self.samples > 0 and self.host >= BUSY_FRACTION * CPUS and self.other >= OTHER_FRACTION * CPUS

    def describe(self) -> str:
        target = f"target {self.target:.2f}" if self.target_known else "target unknown (not started by the harness)"
        return (f"host CPU {self.host:.2f} of {CPUS} cores busy: generator {self.generator:.2f}, {target}, "
                f"harness {self.harness:.2f}, other work {self.other:.2f} (mean of {self.samples} samples)")


def summarise(samples: list[CpuSample], start: float, end: float, *, target_known: bool) -> Noise:
    inside = [s for s in samples if start < s.t <= end + INTERVAL_S] or samples

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return Noise(samples=len(inside), host=mean([s.host for s in inside]),
                 generator=mean([s.generator for s in inside]), target=mean([s.target for s in inside]),
                 harness=mean([s.harness for s in inside]), other=mean([s.other for s in inside]),
                 generator_peak=max((s.generator for s in inside), default=0.0), target_known=target_known,
                 target_wait=mean([s.target_wait for s in inside]),
                 target_runnable=mean([s.target_runnable for s in inside]),
                 generator_runnable=mean([s.generator_runnable for s in inside]))
