"""A process the harness started: its own process group, its log file, its ledger entry, and an
unconditional stop (a stop signal that cannot be sent still ends in SIGKILL).

The process's output reaches its log file through :class:`~readiness_harness.logpump.LogPump`,
which redacts the values ``secrets`` returns (the target's secrets) before anything is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from readiness_harness.contract.context import FaultLedger
from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.safetext import printable
from readiness_harness.logpump import LogPump, Secrets, no_secrets
from readiness_harness.sockets import listener_pids, started_by_us

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TAIL_BYTES = 256 * 1024  # the end of a log, however long it grew


class ManagedProcess:
    """One process in its own group; written to ``ledger`` (when given) as soon as it has a pid."""

    def __init__(
        self,
        name: str,
        *,
        command: list[str],
        env: Mapping[str, str],
        cwd: Path,
        log_path: Path,
        stop_signal: str = "SIGTERM",
        grace_s: float = 10.0,
        ledger: FaultLedger | None = None,
        secrets: Secrets = no_secrets,
    ) -> None:
        self.name = name
        self.command = command
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        try:
            self.stop_signal = signal.Signals[stop_signal]
        except KeyError:
            raise ValueError(f"{stop_signal!r} is not a signal name") from None
        self.grace_s = grace_s
        self.ledger = ledger
        self.secrets = secrets
        self._popen: subprocess.Popen[bytes] | None = None
        self._pump: LogPump | None = None

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen else None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        pump = LogPump(self.log_path, self.secrets)
        log = pump.open()
        try:
            self._popen = subprocess.Popen(
                self.command, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            pump.discard()
            raise TargetError(f"process '{self.name}' could not start: {exc}") from exc
        finally:
            os.close(log)
        self._pump = pump
        pump.start()
        if self.ledger is not None:
            self.ledger.process_started(self._popen.pid, self.name)

    def send(self, sig: int) -> None:
        """Send a signal to the process group (the process and whatever it started)."""
        if self._popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, sig)

    def stop(self, grace_s: float | None = None) -> int | None:
        """Stop signal, wait up to the grace period, then SIGKILL the whole group. Idempotent. Returns the
        exit code, or None when the process could not be ended (its ledger entry then stays)."""
        if self._popen is None:
            return None
        grace = self.grace_s if grace_s is None else grace_s
        if self._popen.poll() is None:
            try:
                self.send(self.stop_signal)
            except OSError:
                grace = 0  # the stop signal could not be sent: SIGKILL at once
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=grace)
        with contextlib.suppress(PermissionError):
            self.send(signal.SIGKILL)  # children left in the group go too
        try:
            return self._popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if self._pump is not None:
                self._pump.join()

    def _settle_log(self) -> None:
        """Once the process has exited, let the pump write its last lines (why it exited) first."""
        if self._pump is not None and self._popen is not None and self._popen.poll() is not None:
            self._pump.join(1.0)

    async def wait_exit(self, timeout_s: float, *, poll_s: float = 0.05) -> int | None:
        """The exit code once the process ends by itself, or None if it still runs after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while self.returncode is None and time.monotonic() < deadline:
            await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
        return self.returncode

    async def _answer(self, client: httpx.AsyncClient, url: str, statuses: list[int]) -> str | None:
        """None when ``url`` answers one of ``statuses`` from our own listener; else what it did."""
        try:
            response = await client.get(url)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        stranger = self._stranger_on(url)
        if stranger is not None:
            return stranger
        return None if response.status_code in statuses else f"status {response.status_code}"

    def _stranger_on(self, url: str) -> str | None:
        """Why the answer at a loopback ``url`` came from another program, or None when it is ours
        (or when /proc cannot tell)."""
        parts = urlsplit(url)
        if parts.hostname not in LOOPBACK or self._popen is None:
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        holders = listener_pids(port)
        if holders is None or not holders:
            return None
        if any(started_by_us(pid) for pid in holders):
            return None
        other = min(holders)
        return f"port {port} is held by another program (pid {other}), not by a process this audit started"

    def log_tail(self, lines: int = 20) -> list[str]:
        """The last lines of the log, for messages: control characters escaped."""
        self._settle_log()
        try:
            with self.log_path.open("rb") as handle:
                handle.seek(max(0, handle.seek(0, os.SEEK_END) - TAIL_BYTES))
                text = handle.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        return [printable(line) for line in text.splitlines()[-lines:]]

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def redacted_since(self, offset: int) -> set[str]:
        """The secrets the process logged after ``offset`` bytes of its log (redacted in the file)."""
        return self._pump.redacted_since(offset) if self._pump is not None else set()

    def log_since(self, offset: int) -> list[str]:
        with self.log_path.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace").splitlines()

    async def wait_ready(self, url: str, *, timeout_s: float, statuses: list[int], interval_s: float,
                         ca_file: str | None = None) -> float:
        """Poll ``url`` until it answers one of ``statuses`` from this process's own listener (see
        ``sockets.py``); returns seconds waited. ``ca_file`` verifies an HTTPS URL with that CA (a
        file the process may write as it starts: until it exists, the process is not ready)."""
        started = time.monotonic()
        last = "no answer yet"
        while time.monotonic() - started < timeout_s:
            if not self.alive:
                tail = "\n".join(self.log_tail())
                raise TargetError(
                    f"process '{self.name}' exited with code {self.returncode} before it was ready; "
                    f"last log lines:\n{tail}"
                )
            if ca_file is not None and not Path(ca_file).is_file():
                last = f"no CA file at {ca_file} yet"
            else:
                verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
                async with httpx.AsyncClient(timeout=2.0, trust_env=False, verify=verify) as client:
                    outcome = await self._answer(client, url, statuses)
                if outcome is None:
                    return time.monotonic() - started
                last = outcome
            await asyncio.sleep(interval_s)
        tail = "\n".join(self.log_tail())
        raise TargetError(f"process '{self.name}' not ready at {url} within {timeout_s:g} s (last: {last}; "
                          f"still running); last log lines:\n{tail}")
