"""The ledger: every process started and every fault injected is written to disk first.

A run that is killed (SIGKILL, power loss) cannot clean up after itself; the next run reads
the ledgers whose owner is gone, removes their toxics, re-enables their proxies, stops their
processes, and reports what it removed. One ledger file per run (JSON lines, fsynced), so
concurrent audits never share one.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.exceptions import ChaosError


class Ledger:
    def __init__(self, directory: Path, run_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{run_id}.jsonl"
        self._handle = self.path.open("a", encoding="utf-8")
        self._write({"op": "owner", "pid": os.getpid(), "start": _start_time(os.getpid())})

    def _write(self, entry: dict[str, Any]) -> None:
        self._handle.write(json.dumps(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def process_started(self, pid: int, name: str) -> None:
        self._write({"op": "process", "pid": pid, "name": name, "start": _start_time(pid)})

    def toxic_added(self, server: str, proxy: str, toxic: str) -> None:
        self._write({"op": "toxic", "server": server, "proxy": proxy, "toxic": toxic})

    def toxic_removed(self, server: str, proxy: str, toxic: str) -> None:
        self._write({"op": "toxic_removed", "server": server, "proxy": proxy, "toxic": toxic})

    def proxy_disabled(self, server: str, proxy: str) -> None:
        self._write({"op": "disabled", "server": server, "proxy": proxy})

    def proxy_enabled(self, server: str, proxy: str) -> None:
        self._write({"op": "enabled", "server": server, "proxy": proxy})

    def close(self, *, clean: bool) -> None:
        """Close the file; a run that cleaned up after itself deletes its ledger."""
        self._handle.close()
        if clean:
            self.path.unlink(missing_ok=True)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), to detect reused pids."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str | None) -> bool:
    return start is not None and _start_time(pid) == start


def _entries(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by the crash
    return out


def outstanding(entries: list[dict[str, Any]]) -> tuple[list[dict], list[dict], list[dict]]:
    """Toxics still injected, proxies still disabled, processes recorded."""
    toxics: dict[tuple, dict] = {}
    disabled: dict[tuple, dict] = {}
    processes = []
    for entry in entries:
        op = entry.get("op")
        if op == "toxic":
            toxics[(entry["server"], entry["proxy"], entry["toxic"])] = entry
        elif op == "toxic_removed":
            toxics.pop((entry["server"], entry["proxy"], entry["toxic"]), None)
        elif op == "disabled":
            disabled[(entry["server"], entry["proxy"])] = entry
        elif op == "enabled":
            disabled.pop((entry["server"], entry["proxy"]), None)
        elif op == "process":
            processes.append(entry)
    return list(toxics.values()), list(disabled.values()), processes


async def recover(directory: Path, *, own: Path | None = None) -> list[str]:
    """Replay every ledger in ``directory`` whose owner is gone; return what was cleaned up."""
    report: list[str] = []
    if not directory.is_dir():
        return report
    for path in sorted(directory.glob("*.jsonl")):
        if own is not None and path == own:
            continue
        entries = _entries(path)
        owner = next((e for e in entries if e.get("op") == "owner"), None)
        if owner and _alive(owner["pid"], owner.get("start")):
            continue  # another audit is running right now
        report += await _replay(path.stem, entries)
        path.unlink(missing_ok=True)
    return report


async def _replay(run: str, entries: list[dict[str, Any]]) -> list[str]:
    toxics, disabled, processes = outstanding(entries)
    report = []
    for entry in toxics:
        what = f"removed leftover toxic '{entry['toxic']}' on proxy '{entry['proxy']}'"
        report.append(await _undo(what, run, entry["server"], _remover(entry["proxy"], entry["toxic"])))
    for entry in disabled:
        what = f"re-enabled leftover disabled proxy '{entry['proxy']}'"
        report.append(await _undo(what, run, entry["server"], _enabler(entry["proxy"])))
    for entry in reversed(processes):
        if _alive(entry["pid"], entry.get("start")):
            try:
                os.killpg(entry["pid"], signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                os.kill(entry["pid"], signal.SIGKILL)
            report.append(f"run {run}: stopped leftover process '{entry['name']}' (pid {entry['pid']})")
    return report


def _remover(proxy: str, toxic: str) -> Callable[[ToxiproxyClient], Awaitable[Any]]:
    return lambda client: client.remove_toxic(proxy, toxic)


def _enabler(proxy: str) -> Callable[[ToxiproxyClient], Awaitable[Any]]:
    return lambda client: client.update_proxy(proxy, enabled=True)


async def _undo(what: str, run: str, server: str, action: Callable[[ToxiproxyClient], Awaitable[Any]]) -> str:
    try:
        async with ToxiproxyClient(server, timeout=2.0) as client:
            await action(client)
    except ChaosError as exc:
        return f"run {run}: could not undo ({what.split(' ', 1)[1]}): {exc}"
    return f"run {run}: {what}"
