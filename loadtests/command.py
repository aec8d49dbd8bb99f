"""The Locust command lines: the profile (users, pacing), the files Locust writes, the environment.

Nothing here starts a process; :mod:`loadtests.process` does. Every Locust process loads the
harness's plugin before the user's locustfile (``-f harness_plugin.py,locustfile.py``); the
plugin paces, classifies statuses and writes the request record into the run's folder, beside
Locust's own JSON, CSV, HTML and log files (kept as attachments). Locust's console is never parsed.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from readiness_harness.loadtests.spec import LoadSpec, WorkersSpec

PLUGIN = Path(__file__).resolve().with_name("harness_plugin.py")
TARGET_ENV = "HARNESS_TARGET_RPS"
EXPECTED_ENV = "HARNESS_EXPECTED_STATUSES"
RECORD_ENV = "HARNESS_RECORD_DIR"
CONTROL_ENV = "HARNESS_CONTROL_FILE"
SET_BY_HARNESS = (TARGET_ENV, EXPECTED_ENV, RECORD_ENV, CONTROL_ENV, "HARNESS_PACING_RPS_PER_USER")
DEFAULT_MAX_SPAWN_RATE = 100.0


@dataclass(frozen=True)
class Profile:
    """How many users, how fast they start, and the asked request rate per running user."""

    users: int
    spawn_rate: float
    rate_per_user: float | None = None
    target_rps: float | None = None

    @property
    def ramp_s(self) -> float:
        return self.users / self.spawn_rate


def profile(spec: LoadSpec) -> Profile:
    """Users and pacing: with ``target_rps``, ``target_rps / rps_per_user`` users (unless ``users`` is
    set) share a schedule of ``target_rps``; with ``users`` and an explicit ``rps_per_user``, the
    target is their product; with neither, no pacing (each user class's own ``wait_time``)."""
    if spec.target_rps is None:
        users = spec.users or 1
        spawn_rate = spec.spawn_rate or min(float(users), DEFAULT_MAX_SPAWN_RATE)
        if "rps_per_user" in spec.model_fields_set:
            return Profile(users, spawn_rate, spec.rps_per_user, users * spec.rps_per_user)
        return Profile(users, spawn_rate)
    users = spec.users or max(1, math.ceil(spec.target_rps / spec.rps_per_user))
    spawn_rate = spec.spawn_rate or min(float(users), DEFAULT_MAX_SPAWN_RATE)
    return Profile(users, spawn_rate, spec.target_rps / users, spec.target_rps)


@dataclass(frozen=True)
class LocustFiles:
    """Where one run's outputs go (all in one folder, kept beside the report)."""

    folder: Path

    @property
    def prefix(self) -> Path:
        return self.folder / "locust"

    @property
    def json(self) -> Path:
        return self.folder / "locust.json"  # --json-file appends ".json"

    def csv(self, kind: str) -> Path:
        return self.folder / f"locust_{kind}.csv"  # stats, stats_history, failures, exceptions

    @property
    def html(self) -> Path:
        return self.folder / "locust.html"

    @property
    def control(self) -> Path:
        return self.folder / "control.json"

    @property
    def log(self) -> Path:
        return self.folder / "locust.log"

    @property
    def stderr(self) -> Path:
        return self.folder / "locust.stderr.txt"

    def worker_log(self, index: int) -> Path:
        return self.folder / f"locust-worker-{index}.log"


@dataclass(frozen=True)
class LocustCommand:
    argv: list[str]
    env: dict[str, str]
    files: LocustFiles
    duration_s: int
    workers: list[list[str]] = field(default_factory=list)


def build(spec: LoadSpec, *, locustfile: Path, host: str, files: LocustFiles, prof: Profile,
          extra_env: Mapping[str, str], master_port: int | None = None) -> LocustCommand:
    """The master (or only) Locust command, plus one command per local worker."""
    duration = max(1, math.ceil(spec.duration_s))
    argv = [sys.executable, "-m", "locust", "--headless", "-f", locustfiles(locustfile), "--host", host,
            "-u", str(prof.users), "-r", f"{prof.spawn_rate:g}", "-t", f"{duration}s",
            "--json-file", str(files.prefix), "--csv", str(files.prefix),
            "--html", str(files.html), "--only-summary", "--logfile", str(files.log), "--loglevel", "INFO",
            *plugin_args(prof, spec.expected_statuses)]
    workers: list[list[str]] = []
    if spec.processes and spec.processes > 1:
        if master_port is None:
            raise ValueError("--processes needs a master port")
        # Locust's default 5557 on every interface would collide with any other run on this machine.
        argv += ["--processes", str(spec.processes), "--master-bind-host", "127.0.0.1",
                 "--master-bind-port", str(master_port), "--master-port", str(master_port)]
    elif spec.workers is not None:
        port = spec.workers.master_port or master_port
        if port is None:
            raise ValueError("master/worker mode needs a master port")
        argv += _master_args(spec.workers, port)
        workers = [_worker_argv(locustfile, files, index, port) for index in range(spec.workers.local)]
    argv += spec.user_classes
    env = environment(extra_env, prof, spec.expected_statuses, files)
    return LocustCommand(argv=argv, env=env, files=files, duration_s=duration, workers=workers)


def _master_args(workers: WorkersSpec, port: int) -> list[str]:
    return ["--master", "--expect-workers", str(workers.expected),
            "--expect-workers-max-wait", f"{math.ceil(workers.wait_s)}",
            "--master-bind-host", workers.master_bind_host, "--master-bind-port", str(port)]


def locustfiles(locustfile: Path) -> str:
    """The plugin first, then the user's locustfile: Locust's ``-f`` takes a comma-separated list."""
    return f"{PLUGIN},{locustfile}"


def plugin_args(prof: Profile, expected: list[int]) -> list[str]:
    """The plugin's options; the master forwards them to every worker."""
    args = []
    if prof.rate_per_user is not None:
        args += ["--harness-rate-per-user", f"{prof.rate_per_user:.9g}"]
    if expected:
        args += ["--harness-expected", ",".join(str(status) for status in expected)]
    return args


def _worker_argv(locustfile: Path, files: LocustFiles, index: int, port: int) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", locustfiles(locustfile), "--worker", "--master-host", "127.0.0.1",
            "--master-port", str(port), "--logfile", str(files.worker_log(index)), "--loglevel", "INFO"]


def environment(extra: Mapping[str, str], prof: Profile, expected: list[int], files: LocustFiles) -> dict[str, str]:
    """The inherited environment without Locust's own settings, plus what the plugin and locustfile read."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_") and k not in SET_BY_HARNESS}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    env[RECORD_ENV] = str(files.folder)
    env[CONTROL_ENV] = str(files.control)
    if prof.target_rps is not None:
        env[TARGET_ENV] = f"{prof.target_rps:.9g}"
    if expected:
        env[EXPECTED_ENV] = ",".join(str(status) for status in expected)
    return env
