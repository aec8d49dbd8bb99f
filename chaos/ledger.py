"""The ledger: every process started, every proxy created and every fault injected is written to disk first.

A run that is killed (SIGKILL, power loss) cannot clean up after itself; the next run reads the
ledgers whose owner is gone, continues the processes they froze (SIGSTOP), removes their toxics,
re-enables their proxies, deletes the proxies they created on a shared Toxiproxy, stops their
processes, and reports what it removed. One ledger file per
run (JSON lines, fsynced), so concurrent audits never share one. A run whose teardown left something
behind keeps its ledger (``close`` says what is left), so the next run finishes the job.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.exceptions import ChaosError, ToxiproxyNotFound


class Ledger:
    def __init__(self, directory: Path, run_id: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{run_id}.jsonl"
        self._handle = self.path.open("a", encoding="utf-8")
        self._entries: list[dict[str, Any]] = []
        self._write({"op": "owner", "pid": os.getpid(), "start": _start_time(os.getpid())})

    def _write(self, entry: dict[str, Any]) -> None:
        self._entries.append(entry)
        self._handle.write(json.dumps(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def process_started(self, pid: int, name: str, *, server: str | None = None) -> None:
        """A process this run owns; ``server`` when it is a Toxiproxy (its proxies and toxics end with it)."""
        entry = {"op": "process", "pid": pid, "name": name, "start": _start_time(pid)}
        self._write({**entry, "server": server} if server else entry)

    def proxy_created(self, server: str, name: str, server_name: str) -> None:
        """Written before the proxy is created on ``server`` as ``server_name`` (``name`` in the checklist)."""
        self._write({"op": "proxy", "server": server, "name": name, "server_name": server_name})

    def proxy_deleted(self, server: str, server_name: str) -> None:
        self._write({"op": "proxy_deleted", "server": server, "server_name": server_name})

    def toxic_added(self, server: str, proxy: str, toxic: str) -> None:
        self._write({"op": "toxic", "server": server, "proxy": proxy, "toxic": toxic})

    def toxic_removed(self, server: str, proxy: str, toxic: str) -> None:
        self._write({"op": "toxic_removed", "server": server, "proxy": proxy, "toxic": toxic})

    def proxy_disabled(self, server: str, proxy: str) -> None:
        self._write({"op": "disabled", "server": server, "proxy": proxy})

    def proxy_enabled(self, server: str, proxy: str) -> None:
        self._write({"op": "enabled", "server": server, "proxy": proxy})

    def process_fault(self, pid: int, name: str, action: str) -> None:
        """Written before a fault acts on process ``pid`` (``kill``, ``stop`` or ``restart``)."""
        self._write({"op": "process_fault", "pid": pid, "name": name, "action": action, "start": _start_time(pid)})

    def process_fault_undone(self, pid: int, name: str, action: str) -> None:
        self._write({"op": "process_fault_undone", "pid": pid, "name": name, "action": action})

    def close(self) -> list[str]:
        """Close the file and say what is still outstanding (processes alive, proxies not deleted, faults
        not undone); the ledger is deleted only when nothing is."""
        self._handle.close()
        left = outstanding(self._entries).describe()
        if not left:
            self.path.unlink(missing_ok=True)
        return left


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), to detect reused pids."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]  # a zombie has ended; only its exit status is left


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


@dataclass
class Outstanding:
    """What a ledger recorded and nobody undid."""

    toxics: list[dict[str, Any]] = field(default_factory=list)
    disabled: list[dict[str, Any]] = field(default_factory=list)
    proxies: list[dict[str, Any]] = field(default_factory=list)
    processes: list[dict[str, Any]] = field(default_factory=list)
    frozen: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> list[str]:
        return ([f"process '{e['name']}' (pid {e['pid']}) stopped (SIGSTOP)" for e in self.frozen]
                + [f"toxic '{e['toxic']}' on proxy '{e['proxy']}'" for e in self.toxics]
                + [f"proxy '{e['proxy']}' disabled" for e in self.disabled]
                + [f"proxy '{e['server_name']}' on {e['server']}" for e in self.proxies]
                + [f"process '{e['name']}' (pid {e['pid']}) running" for e in self.processes])


def outstanding(entries: list[dict[str, Any]]) -> Outstanding:
    """Toxics still injected, proxies still disabled, proxies not deleted, processes still alive or still
    frozen. Faults on a proxy this run created are left out (deleting the proxy removes them), and so is
    everything on a Toxiproxy the run started itself (it ends with the run, or is stopped as a leftover
    process)."""
    toxics: dict[tuple, dict] = {}
    disabled: dict[tuple, dict] = {}
    proxies: dict[tuple, dict] = {}
    processes = []
    owned_servers = {e["server"] for e in entries if e.get("op") == "process" and e.get("server")}
    for entry in (e for e in entries if e.get("server") not in owned_servers or e.get("op") == "process"):
        op = entry.get("op")
        if op == "toxic":
            toxics[(entry["server"], entry["proxy"], entry["toxic"])] = entry
        elif op == "toxic_removed":
            toxics.pop((entry["server"], entry["proxy"], entry["toxic"]), None)
        elif op == "disabled":
            disabled[(entry["server"], entry["proxy"])] = entry
        elif op == "enabled":
            disabled.pop((entry["server"], entry["proxy"]), None)
        elif op == "proxy":
            proxies[(entry["server"], entry["server_name"])] = entry
        elif op == "proxy_deleted":
            proxies.pop((entry["server"], entry["server_name"]), None)
        elif op == "process" and _alive(entry["pid"], entry.get("start")):
            processes.append(entry)
    created = {(e["server"], e["name"]) for e in entries if e.get("op") == "proxy"}
    return Outstanding(toxics=[e for e in toxics.values() if (e["server"], e["proxy"]) not in created],
                       disabled=[e for e in disabled.values() if (e["server"], e["proxy"]) not in created],
                       proxies=list(proxies.values()), processes=processes, frozen=_frozen(entries))


def _frozen(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Processes a ``stop`` fault froze and no rollback continued, still alive (the same process, not a reused pid)."""
    stopped: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("action") != "stop":
            continue
        if entry.get("op") == "process_fault":
            stopped[entry["pid"]] = entry
        elif entry.get("op") == "process_fault_undone":
            stopped.pop(entry["pid"], None)
    return [e for e in stopped.values() if _alive(e["pid"], e.get("start"))]


async def recover(directory: Path, *, own: Path | None = None) -> list[str]:
    """Replay every ledger in ``directory`` whose owner is gone; return what was cleaned up. A ledger
    whose leftovers could not all be removed is kept for the run after."""
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
        lines, complete = await _replay(path.stem, entries)
        report += lines
        if complete:
            path.unlink(missing_ok=True)
    return report


async def _replay(run: str, entries: list[dict[str, Any]]) -> tuple[list[str], bool]:
    left = outstanding(entries)
    report: list[tuple[str, bool]] = [(_continue(run, entry), True) for entry in left.frozen]
    for entry in reversed(left.processes):
        report.append((_kill(run, entry), True))
    for entry in left.toxics:
        what = f"removed leftover toxic '{entry['toxic']}' on proxy '{entry['proxy']}'"
        report.append(await _undo(what, run, entry["server"], _remover(entry["proxy"], entry["toxic"])))
    for entry in left.disabled:
        what = f"re-enabled leftover disabled proxy '{entry['proxy']}'"
        report.append(await _undo(what, run, entry["server"], _enabler(entry["proxy"])))
    for entry in left.proxies:
        what = f"deleted leftover proxy '{entry['server_name']}' ('{entry['name']}') on {entry['server']}"
        report.append(await _undo(what, run, entry["server"], _deleter(entry["server_name"])))
    return [line for line, _ in report], all(done for _, done in report)


def _kill(run: str, entry: dict[str, Any]) -> str:
    try:
        os.killpg(entry["pid"], signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(entry["pid"], signal.SIGKILL)
    return f"run {run}: stopped leftover process '{entry['name']}' (pid {entry['pid']})"


def _continue(run: str, entry: dict[str, Any]) -> str:
    """SIGCONT to a frozen process's group (and the process), so that it can answer or be stopped."""
    for send in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            send(entry["pid"], signal.SIGCONT)
    return f"run {run}: continued leftover stopped process '{entry['name']}' (pid {entry['pid']})"


def _remover(proxy: str, toxic: str) -> Callable[[ToxiproxyClient], Awaitable[Any]]:
    return lambda client: client.remove_toxic(proxy, toxic)


def _enabler(proxy: str) -> Callable[[ToxiproxyClient], Awaitable[Any]]:
    return lambda client: client.update_proxy(proxy, enabled=True)


def _deleter(server_name: str) -> Callable[[ToxiproxyClient], Awaitable[Any]]:
    return lambda client: client.delete_proxy(server_name)


async def _undo(what: str, run: str, server: str,
                action: Callable[[ToxiproxyClient], Awaitable[Any]]) -> tuple[str, bool]:
    """Undo one leftover; one that is gone already counts as undone, one that could not be reached does not
    (the ledger is kept and the next run tries again)."""
    try:
        async with ToxiproxyClient(server, timeout=2.0) as client:
            await action(client)
    except ToxiproxyNotFound:
        return f"run {run}: {what.split(' ', 1)[1]}: already gone", True
    except ChaosError as exc:
        return f"run {run}: could not undo ({what.split(' ', 1)[1]}): {exc}", False
    return f"run {run}: {what}", True
