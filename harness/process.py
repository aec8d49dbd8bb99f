"""A process the harness started: its own process group, its log file, and an unconditional stop.

The process's output reaches its log file through :class:`~readiness_harness.logpump.LogPump`,
which redacts the values ``secrets`` returns (the target's secrets) before anything is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.safetext import printable
from readiness_harness.logpump import LogPump, Secrets, no_secrets

TAIL_BYTES = 256 * 1024  # the end of a log, however long it grew


class ManagedProcess:
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
        secrets: Secrets = no_secrets,
    ) -> None:
        self.name = name
        self.command = command
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.stop_signal = getattr(signal, stop_signal)
        self.grace_s = grace_s
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

    def send(self, sig: int) -> None:
        """Send a signal to the process group (the process and whatever it started)."""
        if self._popen is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, sig)

    def stop(self, grace_s: float | None = None) -> int | None:
        """Stop signal, wait up to the grace period, then SIGKILL the whole group. Idempotent."""
        if self._popen is None:
            return None
        grace = self.grace_s if grace_s is None else grace_s
        if self._popen.poll() is None:
            self.send(self.stop_signal)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=grace)
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

    async def wait_ready(self, url: str, *, timeout_s: float, statuses: list[int], interval_s: float) -> float:
        """Poll ``url`` until it answers one of ``statuses``; returns seconds waited."""
        started = time.monotonic()
        last = "no answer yet"
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while time.monotonic() - started < timeout_s:
                if not self.alive:
                    tail = "\n".join(self.log_tail())
                    raise TargetError(
                        f"process '{self.name}' exited with code {self.returncode} before it was ready; "
                        f"last log lines:\n{tail}"
                    )
                try:
                    response = await client.get(url)
                    if response.status_code in statuses:
                        return time.monotonic() - started
                    last = f"status {response.status_code}"
                except httpx.HTTPError as exc:
                    last = f"{type(exc).__name__}"
                await asyncio.sleep(interval_s)
        tail = "\n".join(self.log_tail())
        raise TargetError(f"process '{self.name}' not ready at {url} within {timeout_s:g} s (last: {last}; "
                          f"still running); last log lines:\n{tail}")
