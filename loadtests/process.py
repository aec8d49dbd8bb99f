"""Run Locust as a subprocess: bounded in time, its whole process group killed in a ``finally``.

Every Locust process (the master or only one, each local worker) starts in a process group of its
own and is written to the run's ledger before the harness waits on it: when the harness itself is
killed (SIGKILL), the next run ends those groups, ``--processes`` children included.

Locust's exit code 1 means "some requests failed" (``--exit-code-on-error``), not a crash; the
caller decides from the files Locust wrote. A run with no JSON file is a Locust failure, and
its own message (stderr tail, error lines of its log) is what the harness reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field

from readiness_harness.contract.context import FaultLedger
from readiness_harness.loadtests.command import LocustCommand, LocustFiles
from readiness_harness.loadtests.noise import INTERVAL_S, CpuSampler

START_MARGIN_S = 30.0  # imports, forking, workers connecting, writing reports
STOP_GRACE_S = 10.0
POLL_S = 0.1
CPU_WARNING = re.compile(r"CPU usage (above|was too high|threshold was exceeded)")
LOG_ERROR = re.compile(r"/(ERROR|CRITICAL)/")


@dataclass
class LocustRun:
    """What one Locust process did: exit code, wall-clock span, and where its files are."""

    files: LocustFiles
    returncode: int | None
    started: float
    ended: float
    timed_out: bool = False
    limit_s: float = 0.0
    worker_codes: list[int | None] = field(default_factory=list)

    @property
    def wrote_results(self) -> bool:
        return self.files.json.exists() or any(self.files.folder.glob("record-*.jsonl"))

    def log_lines(self) -> list[str]:
        lines: list[str] = []
        for path in [self.files.log, *sorted(self.files.folder.glob("locust-worker-*.log"))]:
            with contextlib.suppress(FileNotFoundError):
                lines += path.read_text(errors="replace").splitlines()
        return lines

    def cpu_warning(self) -> bool:
        """Locust logs a warning when its own CPU use passed 90% (master or any worker)."""
        return any(CPU_WARNING.search(line) for line in self.log_lines())

    def failure_message(self, limit: int = 15) -> str:
        """Locust's own words: its last error line first, then the tail of its stderr or log errors."""
        try:
            stderr = self.files.stderr.read_text(errors="replace").strip().splitlines()
        except FileNotFoundError:
            stderr = []
        errors = [line for line in self.log_lines() if LOG_ERROR.search(line)]
        lines = [line for line in (stderr or errors)[-limit:] if line.strip()]
        if not lines:
            return "(Locust wrote nothing to stderr or its log)"
        headline = lines[-1].strip()
        return headline if len(lines) == 1 else headline + "\n" + "\n".join(lines)


async def run_locust(command: LocustCommand, *, margin_s: float = START_MARGIN_S, ledger: FaultLedger | None = None,
                     sampler: CpuSampler | None = None, name: str = "locust",
                     stop: asyncio.Event | None = None) -> LocustRun:
    """Start Locust (and its local workers), wait at most duration + margin, always kill the groups.

    Each process is written to ``ledger`` as it starts; ``sampler`` samples the host's CPU meanwhile.
    Setting ``stop`` ends the run early, as a normal end (Locust still writes its reports).
    """
    command.files.folder.mkdir(parents=True, exist_ok=True)
    limit = command.duration_s + margin_s
    started = time.time()
    processes: list[subprocess.Popen[bytes]] = []
    timed_out = False
    try:
        master = _start(command.argv, command, command.files.stderr)
        _owned(master, f"{name} (master)", processes, ledger, sampler)
        for index, argv in enumerate(command.workers):
            worker = _start(argv, command, command.files.folder / f"locust-worker-{index}.stderr.txt")
            _owned(worker, f"{name} (worker {index})", processes, ledger, sampler)
        deadline = time.monotonic() + limit
        next_sample = 0.0
        while master.poll() is None and not (stop is not None and stop.is_set()):
            if time.monotonic() > deadline:
                timed_out = True
                break
            if sampler is not None and time.monotonic() >= next_sample:
                sampler.sample(time.time())
                next_sample = time.monotonic() + INTERVAL_S
            await asyncio.sleep(POLL_S)
    finally:
        stop_all(processes)
    ended = time.time()
    return LocustRun(files=command.files, returncode=processes[0].returncode if processes else None,
                     started=started, ended=ended, timed_out=timed_out, limit_s=limit,
                     worker_codes=[p.returncode for p in processes[1:]])


def _owned(process: subprocess.Popen[bytes], name: str, processes: list[subprocess.Popen[bytes]],
           ledger: FaultLedger | None, sampler: CpuSampler | None) -> None:
    processes.append(process)
    if ledger is not None:
        ledger.process_started(process.pid, name)
    if sampler is not None:
        sampler.generator_groups.add(process.pid)


def _start(argv: list[str], command: LocustCommand, stderr_path: os.PathLike[str]) -> subprocess.Popen[bytes]:
    with open(stderr_path, "wb") as stderr:
        return subprocess.Popen(argv, env=command.env, cwd=command.files.folder, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)


def stop_all(processes: list[subprocess.Popen[bytes]], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM each group (Locust then writes its reports), wait, then SIGKILL every group."""
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for process in processes:
        _signal_group(process, signal.SIGKILL)  # forked --processes children and stragglers go too
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
