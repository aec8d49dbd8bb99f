"""Injecting faults and rolling them back, every step written to the ledger first.

A fault acts on a fault proxy (a Toxiproxy toxic, or the proxy taken down) or on a process the harness
started for the target:

    kill      SIGKILL to the process's group; rolled back by starting it again (same command, environment
              and ports) and waiting until it is ready
    stop      SIGSTOP to the group: a frozen process that holds its connections and answers nothing;
              rolled back with SIGCONT (a run killed meanwhile leaves a ledger entry the next run continues)
    restart   a graceful restart (its stop signal, its grace period, started again, ready): nothing to roll back
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.exceptions import ChaosError, ToxiproxyNotFound
from readiness_harness.contract.context import FaultLedger, Target
from readiness_harness.contract.errors import TargetError

ProcessAction = Literal["kill", "stop", "restart"]
ACTIONS = {"kill": "killed (SIGKILL)", "stop": "frozen (SIGSTOP)", "restart": "restarted gracefully"}
KILL_WAIT_S = 5.0


class ToxicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data"] = Field(
        description="the Toxiproxy toxic")
    attributes: dict[str, int] = Field(default_factory=dict,
                                       description="the toxic's attributes, e.g. latency: 3000 (ms)")
    stream: Literal["upstream", "downstream"] = Field(default="downstream",
                                                      description="which direction the toxic acts on")
    toxicity: float = Field(default=1.0, ge=0, le=1, description="share of connections affected")


class Fault(BaseModel):
    """A toxic on a named proxy, the proxy taken down (``down: true``), or an ``action`` on a named process."""

    model_config = ConfigDict(extra="forbid")

    proxy: str | None = Field(default=None,
                              description="a fault proxy of the target (`proxies:` or a dependency's name)")
    down: bool = Field(default=False,
                       description="take the proxy down (connections refused) instead of adding a toxic")
    toxic: ToxicSpec | None = Field(default=None, description="the toxic to add")
    process: str | None = Field(default=None, description="a process the harness started for the target "
                                                          "(`processes:` of the target file)")
    action: ProcessAction | None = Field(default=None, description="kill (started again at rollback), stop "
                                                                   "(SIGSTOP, SIGCONT at rollback) or restart "
                                                                   "(graceful)")

    @model_validator(mode="after")
    def _one_kind(self) -> Fault:
        if (self.proxy is None) == (self.process is None):
            raise ValueError("a fault names either a `proxy` or a `process`, not both and not neither")
        if self.process is not None:
            if self.action is None or self.down or self.toxic is not None:
                raise ValueError("a process fault has an `action` (kill, stop or restart) and no `down` or `toxic`")
            return self
        if self.action is not None:
            raise ValueError("`action` applies to a `process`; a proxy fault is `down: true` or a `toxic`")
        if self.down == (self.toxic is not None):
            raise ValueError("a fault is either `down: true` or a `toxic`, not both and not neither")
        return self

    def describe(self) -> str:
        if self.process is not None and self.action is not None:
            return f"process '{self.process}' {ACTIONS[self.action]}"
        if self.toxic is None:
            return f"proxy '{self.proxy}' down"
        attrs = ", ".join(f"{k}={v}" for k, v in self.toxic.attributes.items())
        return f"{self.toxic.type}({attrs}) on '{self.proxy}' {self.toxic.stream}"


@dataclass
class Injected:
    fault: Fault
    toxic_name: str | None = None
    pid: int | None = None


@dataclass
class Injector:
    """Injects faults and remembers them so :meth:`rollback` can undo every one; ``notes`` says what took time
    (a process restarted and ready after 1.2 s)."""

    client: ToxiproxyClient | None
    server: str
    ledger: FaultLedger | None
    prefix: str
    target: Target | None = None
    injected: list[Injected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    async def inject(self, fault: Fault) -> None:
        if fault.process is not None:
            await self._act(fault)
            return
        client, proxy = self._client(), str(fault.proxy)
        if fault.toxic is None:
            if self.ledger:
                self.ledger.proxy_disabled(self.server, proxy)
            self.injected.append(Injected(fault))
            await client.update_proxy(proxy, enabled=False)
            return
        name = f"{self.prefix}-{len(self.injected) + 1}-{fault.toxic.type}"
        if self.ledger:
            self.ledger.toxic_added(self.server, proxy, name)
        self.injected.append(Injected(fault, name))
        await client.add_toxic(proxy, type=fault.toxic.type, attributes=fault.toxic.attributes,
                               stream=fault.toxic.stream, toxicity=fault.toxic.toxicity, name=name)

    def _client(self) -> ToxiproxyClient:
        if self.client is None:
            raise ChaosError("the target has no fault proxies (add `proxies:` to the target file)")
        return self.client

    def _target(self) -> Target:
        if self.target is None:
            raise TargetError("process faults need a target the harness started")
        return self.target

    async def _act(self, fault: Fault) -> None:
        target, name, action = self._target(), str(fault.process), str(fault.action)
        handle = target.process(name)
        if handle.pid is None or not handle.alive:
            raise TargetError(f"process '{name}' is not running")
        if self.ledger:
            self.ledger.process_fault(handle.pid, name, action)
        self.injected.append(Injected(fault, pid=handle.pid))
        if action == "kill":
            handle.send(signal.SIGKILL)
            await handle.wait_exit(KILL_WAIT_S)
        elif action == "stop":
            handle.send(signal.SIGSTOP)
        else:
            started = time.monotonic()
            ready = await target.restart(name)
            self.notes.append(f"'{name}' restarted in {time.monotonic() - started:.2f} s (ready after {ready:.2f} s)")

    async def rollback(self) -> list[str]:
        """Undo every injected fault, newest first; returns the problems met (each undo is tried)."""
        problems = []
        for injected in reversed(self.injected):
            try:
                await self._undo(injected)
            except (ChaosError, TargetError) as exc:
                problems.append(f"{injected.fault.describe()}: {exc}")
        self.injected.clear()
        return problems

    async def _undo(self, injected: Injected) -> None:
        if injected.fault.process is not None:
            await self._undo_process(injected)
            return
        proxy, toxic = str(injected.fault.proxy), injected.toxic_name
        client = self._client()
        try:
            if toxic is None:
                await client.update_proxy(proxy, enabled=True)
            else:
                await client.remove_toxic(proxy, toxic)
        except ToxiproxyNotFound:
            pass  # the injection itself failed: nothing to undo
        if self.ledger and toxic is None:
            self.ledger.proxy_enabled(self.server, proxy)
        elif self.ledger and toxic is not None:
            self.ledger.toxic_removed(self.server, proxy, toxic)

    async def _undo_process(self, injected: Injected) -> None:
        target, name, action = self._target(), str(injected.fault.process), str(injected.fault.action)
        handle = target.process(name)
        if action == "stop" and handle.pid == injected.pid:
            handle.send(signal.SIGCONT)
        elif action == "kill" or (action == "restart" and not handle.alive):
            started = time.monotonic()
            ready = await target.restart(name)  # a restart that failed half-way is finished here
            self.notes.append(f"'{name}' started again in {time.monotonic() - started:.2f} s (ready after "
                              f"{ready:.2f} s)")
        if self.ledger and injected.pid is not None:
            self.ledger.process_fault_undone(injected.pid, name, action)
