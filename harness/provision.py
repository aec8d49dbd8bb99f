"""Provisioning: start what the target file asks for, wait until it answers, always tear it down."""

from __future__ import annotations

import asyncio
import os
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
from readiness_harness.rendered_files import render_files
from readiness_harness.target import TargetSpec


@dataclass
class ProxyInfo:
    """What the harness knows about Toxiproxy during an audit."""

    url: str
    kind: str
    version: str
    names: list[str] = field(default_factory=list)


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
                               stop_signal=old.stop_signal.name, grace_s=old.grace_s, secrets=old.secrets)
        self.processes[name] = fresh
        fresh.start()
        if self.ledger is not None and fresh.pid is not None:
            self.ledger.process_started(fresh.pid, name)
        if spec is None or spec.ready is None:
            return 0.0
        ready = spec.ready
        return await fresh.wait_ready(self.placeholders.expand(ready.url), timeout_s=ready.timeout_s,
                                      statuses=ready.status, interval_s=ready.interval_s)


def external_target(base_url: str, *, environ: Mapping[str, str] | None = None) -> RunningTarget:
    """A service that is already running: nothing is started or stopped."""
    return RunningTarget(spec=None, base_url=base_url.rstrip("/"), placeholders=Placeholders(environ=environ))


@asynccontextmanager
async def provisioned(
    spec: TargetSpec, *, base_dir: Path, log_dir: Path, environ: Mapping[str, str] | None = None,
    ledger: Ledger | None = None,
) -> AsyncIterator[RunningTarget]:
    """Start the target; whatever happens inside or during start-up, tear everything down."""
    environ = dict(os.environ if environ is None else environ)
    work_dir = Path(tempfile.mkdtemp(prefix="harness-run-"))
    placeholders = Placeholders(environ=environ)
    placeholders.put("run_dir", str(work_dir))
    placeholders.allocate_ports(names_in(spec.model_dump(), "port"))
    for name in spec.secrets:
        placeholders.add_secret(name)
    running = RunningTarget(spec=spec, base_url="", placeholders=placeholders, work_dir=work_dir,
                            _base_dir=base_dir, _log_dir=log_dir, ledger=ledger)
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
    waits = [running.processes[p.name].wait_ready(running.placeholders.expand(p.ready.url),
                                                  timeout_s=p.ready.timeout_s, statuses=p.ready.status,
                                                  interval_s=p.ready.interval_s)
             for p in pending if p.ready is not None]
    pending.clear()
    await asyncio.gather(*waits)


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
        secrets=lambda: ph.secret_values,  # its log is redacted with every secret known when a line comes
    )
    running.processes[proc_spec.name] = process
    process.start()
    if running.ledger is not None and process.pid is not None:
        running.ledger.process_started(process.pid, proc_spec.name)


async def _start_proxies(running: RunningTarget, spec: TargetSpec) -> None:
    routes = [(p.name, running.placeholders.expand(p.listen), running.placeholders.expand(p.upstream))
              for p in spec.proxies]
    routes += _dependency_routes(running)
    if not routes:
        return
    from readiness_harness.chaos.client import ToxiproxyClient, ToxiproxyError, ToxiproxyUnreachable
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
        running.ledger.process_started(handle.process.pid, f"toxiproxy ({handle.kind})")
    kind = f"container {container.image}" if container is not None else handle.kind
    running.proxy = ProxyInfo(url=handle.url, kind=kind, version=handle.version)
    async with ToxiproxyClient(handle.url) as client:
        for name, listen, upstream in routes:
            try:
                created = await client.create_proxy(name=name, listen=listen, upstream=upstream)
            except (ToxiproxyError, ToxiproxyUnreachable) as exc:
                raise TargetError(f"could not create fault proxy '{name}': {exc}") from exc
            running.proxy.names.append(name)
            running.placeholders.put(f"proxy.{name}", created.listen)
    proxied = {name for name, _, _ in routes}
    for dependency in running.dependencies.running:
        if dependency.name in proxied:
            publish(running.placeholders, dependency, proxy=running.placeholders.get(f"proxy.{dependency.name}"))


def _go_direct(running: RunningTarget, routes: list[tuple[str, str, str]], reason: str) -> None:
    """No Toxiproxy: every route connects straight to its upstream; fault items will say why they cannot run."""
    running.proxy_error = reason
    running.notes.append(f"Fault injection unavailable: {reason}; services were connected directly.")
    for name, _, upstream in routes:
        running.placeholders.put(f"proxy.{name}", upstream)
    for dependency in running.dependencies.running:
        publish(running.placeholders, dependency, proxy=None)


def _dependency_routes(running: RunningTarget) -> list[tuple[str, str, str]]:
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
        routes.append((dependency.name, f"127.0.0.1:{free_port()}", dependency.address))
    return routes


async def teardown(running: RunningTarget) -> None:
    """Stop processes in reverse start order, delete our proxies, stop Toxiproxy and dependencies, remove temp data."""
    try:
        for process in reversed(list(running.processes.values())):
            process.stop()
        if running._toxiproxy is not None:
            await _delete_proxies(running)
            running._toxiproxy.close()
            running._toxiproxy = None
    finally:
        try:
            running.dependencies.stop()  # errors are kept in running.dependencies.errors
        finally:
            if running.work_dir is not None:
                shutil.rmtree(running.work_dir, ignore_errors=True)


async def _delete_proxies(running: RunningTarget) -> None:
    from readiness_harness.chaos.client import ToxiproxyClient, ToxiproxyError, ToxiproxyUnreachable

    if running.proxy is None or running._toxiproxy.kind == "embedded":
        return  # the embedded server goes away with its proxies
    try:
        async with ToxiproxyClient(running.proxy.url) as client:
            for name in running.proxy.names:
                await client.delete_proxy(name)
    except (ToxiproxyError, ToxiproxyUnreachable):
        pass  # teardown continues: processes are already stopped
