"""Provisioning: start what the target file asks for, wait until it answers, always tear it down.

Every process started for the target (its own, restarted ones, and copies a check asks for with
``process_copy``) is a ManagedProcess written to the run's ledger; teardown attempts every step even
when one fails, and says what it could not undo (the ledger then stays for the next run).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_harness.chaos.ledger import Ledger
from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.dependencies import DependencyStack, publish
from readiness_harness.placeholders import Placeholders, names_in
from readiness_harness.process import ManagedProcess
from readiness_harness.proxies import ProxyInfo, Route, create_proxies, delete_proxies
from readiness_harness.rendered_files import render_files
from readiness_harness.target import ReadySpec, TargetSpec

__all__ = ["ProxyInfo", "RunningTarget", "external_target", "provisioned", "teardown"]


@dataclass
class RunningTarget:
    spec: TargetSpec | None
    base_url: str
    placeholders: Placeholders
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    proxy: ProxyInfo | None = None
    work_dir: Path | None = None
    dependencies: DependencyStack = field(default_factory=DependencyStack)
    ledger: Ledger | None = None
    proxy_error: str | None = None
    notes: list[str] = field(default_factory=list)
    teardown_problems: list[str] = field(default_factory=list)
    proxy_prefix: str = field(default_factory=lambda: f"run-{secrets.token_hex(4)}.")
    _copies: int = 0
    _toxiproxy: Any = None
    _base_dir: Path | None = None
    _log_dir: Path | None = None

    @property
    def provisioned(self) -> bool:
        return self.spec is not None

    @property
    def secret_values(self) -> set[str]:
        """Every value that must never reach a report."""
        return self.placeholders.secret_values

    def expand(self, value: Any) -> Any:
        return self.placeholders.expand(value)

    def process(self, name: str) -> ManagedProcess:
        try:
            return self.processes[name]
        except KeyError:
            known = ", ".join(self.processes) or "none (the target was not provisioned by the harness)"
            raise TargetError(f"no process named '{name}'; processes: {known}") from None

    def failure(self) -> str | None:
        """Why the target cannot answer any more (a started process exited), or None."""
        for process in self.processes.values():
            if process.returncode is not None:
                tail = " | ".join(process.log_tail(3))
                return f"target process '{process.name}' exited with code {process.returncode} ({tail[-300:]})"
        return None

    async def restart(self, name: str) -> float:
        """Stop and start one process again (same ports and environment); seconds until ready."""
        old = self.process(name)
        old.stop()
        spec = next(p for p in self.spec.processes if p.name == name) if self.spec else None
        fresh = ManagedProcess(name, command=old.command, env=old.env, cwd=old.cwd, log_path=old.log_path,
                               stop_signal=old.stop_signal.name, grace_s=old.grace_s, ledger=self.ledger,
                               secrets=old.secrets)
        self.processes[name] = fresh
        fresh.start()
        if spec is None or spec.ready is None:
            return 0.0
        return await _wait_ready(fresh, spec.ready, self.placeholders)


    @asynccontextmanager
    async def process_copy(self, name: str, *, env: dict[str, str], label: str) -> AsyncIterator[ManagedProcess]:
        """Another copy of process ``name`` with ``env``: ledgered when it starts, stopped when the context
        exits however it exits (cancellation included). Its log is kept in the run's scratch folder."""
        template = self.process(name)
        self._copies += 1
        folder = self.work_dir or self._log_dir or Path(tempfile.gettempdir())
        copy = ManagedProcess(f"{name} ({label})", command=template.command, env=env, cwd=template.cwd,
                              log_path=folder / f"{name}.copy-{self._copies}.log",
                              stop_signal=template.stop_signal.name, grace_s=min(template.grace_s, 5.0),
                              ledger=self.ledger, secrets=template.secrets)
        try:
            copy.start()
            yield copy
        finally:
            await asyncio.to_thread(copy.stop)


def external_target(base_url: str, *, environ: Mapping[str, str] | None = None) -> RunningTarget:
    """A service that is already running: nothing is started or stopped."""
    return RunningTarget(spec=None, base_url=base_url.rstrip("/"), placeholders=Placeholders(environ=environ))


@asynccontextmanager
async def provisioned(
    spec: TargetSpec, *, base_dir: Path, log_dir: Path, environ: Mapping[str, str] | None = None,
    ledger: Ledger | None = None, run_id: str | None = None,
) -> AsyncIterator[RunningTarget]:
    """Start the target; whatever happens inside or during start-up, tear everything down. ``run_id``
    prefixes the names of the run's fault proxies on the Toxiproxy server."""
    environ = dict(os.environ if environ is None else environ)
    work_dir = Path(tempfile.mkdtemp(prefix="harness-run-"))
    placeholders = Placeholders(environ=environ)
    placeholders.put("run_dir", str(work_dir))
    placeholders.allocate_ports(names_in(spec.model_dump(), "port"))
    for name in spec.secrets:
        placeholders.add_secret(name)
    running = RunningTarget(spec=spec, base_url="", placeholders=placeholders, work_dir=work_dir,
                            _base_dir=base_dir, _log_dir=log_dir, ledger=ledger)
    if run_id:
        running.proxy_prefix = f"{run_id}."
    try:
        running.dependencies.start(spec.dependencies, placeholders=placeholders, environ=environ)
        for dependency in running.dependencies.running:
            if running.ledger is not None and dependency.pid is not None:
                running.ledger.process_started(dependency.pid, f"dependency {dependency.name} ({dependency.kind})")
        await _start_proxies(running, spec)
        running.base_url = placeholders.expand(spec.base_url).rstrip("/")
        placeholders.put("base_url", running.base_url)
        render_files(spec.files, placeholders, run_dir=work_dir, base_dir=base_dir)
        await _start_processes(running, spec, environ)
        yield running
    finally:
        await teardown(running)


async def _start_processes(running: RunningTarget, spec: TargetSpec, environ: dict[str, str]) -> None:
    """Start in order; a process waits for the earlier ones to be ready unless it says
    ``start_with_previous: true``, and every readiness wait is done before the audit begins."""
    pending: list[Any] = []
    for proc_spec in spec.processes:
        if not proc_spec.start_with_previous:
            await _await_ready(running, pending)
        _start_process(running, proc_spec, environ)
        pending.append(proc_spec)
    await _await_ready(running, pending)


async def _await_ready(running: RunningTarget, pending: list[Any]) -> None:
    waits = [_wait_ready(running.processes[p.name], p.ready, running.placeholders)
             for p in pending if p.ready is not None]
    pending.clear()
    await asyncio.gather(*waits)


async def _wait_ready(process: ManagedProcess, ready: ReadySpec, placeholders: Placeholders) -> float:
    ca_file = placeholders.expand(ready.ca_file) if ready.ca_file else None
    return await process.wait_ready(placeholders.expand(ready.url), timeout_s=ready.timeout_s,
                                    statuses=ready.status, interval_s=ready.interval_s, ca_file=ca_file)


def _start_process(running: RunningTarget, proc_spec: Any, environ: dict[str, str]) -> None:
    ph = running.placeholders
    base = running._base_dir or Path.cwd()
    default = running.spec.cwd if running.spec is not None else "."
    cwd = (base / ph.expand(proc_spec.cwd or default)).resolve()
    process = ManagedProcess(
        proc_spec.name,
        command=ph.expand(proc_spec.command),
        env={**environ, **ph.expand(proc_spec.env)},
        cwd=cwd or Path.cwd(),
        log_path=(running._log_dir or running.work_dir or Path(".")) / f"{proc_spec.name}.log",
        stop_signal=proc_spec.stop.signal,
        grace_s=proc_spec.stop.grace_s,
        ledger=running.ledger,
        secrets=lambda: ph.secret_values,  # its log is redacted with every secret known when a line comes
    )
    running.processes[proc_spec.name] = process
    process.start()


async def _start_proxies(running: RunningTarget, spec: TargetSpec) -> None:
    routes = [Route(p.name, running.placeholders.expand(p.listen), running.placeholders.expand(p.upstream))
              for p in spec.proxies]
    routes += _dependency_routes(running)
    if not routes:
        return
    from readiness_harness.chaos.client import ToxiproxyUnreachable
    from readiness_harness.chaos.provider import ToxiproxyHandle, start_toxiproxy

    container = running.dependencies.toxiproxy
    try:
        if container is not None:
            handle = ToxiproxyHandle(url=container.url, kind="external", version=container.version)
        else:
            handle = start_toxiproxy()
    except ToxiproxyUnreachable as exc:
        _go_direct(running, routes, f"the fault proxy API is unreachable ({exc})")
        return
    running._toxiproxy = handle
    if running.ledger is not None and handle.process is not None:
        running.ledger.process_started(handle.process.pid, f"toxiproxy ({handle.kind})", server=handle.url)
    kind = f"container {container.image}" if container is not None else handle.kind
    running.proxy = ProxyInfo(url=handle.url, kind=kind, version=handle.version,
                              shared=container is None and handle.kind == "external")
    listening = await create_proxies(running.proxy, routes, prefix=running.proxy_prefix, ledger=running.ledger)
    for name, address in listening.items():
        running.placeholders.put(f"proxy.{name}", address)
    proxied = {route.name for route in routes}
    for dependency in running.dependencies.running:
        if dependency.name in proxied:
            publish(running.placeholders, dependency, proxy=running.placeholders.get(f"proxy.{dependency.name}"))


def _go_direct(running: RunningTarget, routes: list[Route], reason: str) -> None:
    """No Toxiproxy: every route connects straight to its upstream; fault items will say why they cannot run."""
    running.proxy_error = reason
    running.notes.append(f"Fault injection unavailable: {reason}; services were connected directly.")
    for route in routes:
        running.placeholders.put(f"proxy.{route.name}", route.upstream)
    for dependency in running.dependencies.running:
        publish(running.placeholders, dependency, proxy=None)


def _dependency_routes(running: RunningTarget) -> list[Route]:
    """One fault proxy per dependency, named after it, on a free loopback port."""
    taken = {p.name for p in running.spec.proxies} if running.spec else set()
    specs = {d.name: d for d in running.spec.dependencies} if running.spec else {}
    routes = []
    for dependency in running.dependencies.running:
        if not specs[dependency.name].proxy:
            publish(running.placeholders, dependency, proxy=None)
            continue
        if dependency.name in taken:
            raise TargetError(f"dependency '{dependency.name}' has the name of a proxy in `proxies:`; "
                              "its fault proxy takes the dependency's name, so rename one of them")
        routes.append(Route(dependency.name, f"127.0.0.1:{free_port()}", dependency.address))
    return routes


async def teardown(running: RunningTarget) -> None:
    """Stop processes in reverse start order, delete our proxies, stop Toxiproxy and dependencies, remove temp
    data. Every step is attempted whatever the others did; what failed is in ``running.teardown_problems``."""
    problems = running.teardown_problems
    for process in reversed(list(running.processes.values())):
        try:
            if process.stop() is None and process.alive:
                problems.append(f"process '{process.name}' (pid {process.pid}) did not stop")
        except Exception as exc:  # noqa: BLE001 - teardown goes on; the ledger keeps the process
            problems.append(f"process '{process.name}' could not be stopped: {exc}")
    if running._toxiproxy is not None:
        handle, running._toxiproxy = running._toxiproxy, None
        if running.proxy is not None and handle.kind != "embedded":  # the embedded server goes with its proxies
            problems += await delete_proxies(running.proxy, ledger=running.ledger)
        try:
            handle.close()
        except Exception as exc:  # noqa: BLE001
            problems.append(f"Toxiproxy could not be stopped: {exc}")
    try:
        problems += running.dependencies.stop()
    except Exception as exc:  # noqa: BLE001
        problems.append(f"dependencies could not be stopped: {exc}")
    if running.work_dir is not None:
        shutil.rmtree(running.work_dir, ignore_errors=True)
