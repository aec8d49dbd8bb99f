"""Injecting faults through Toxiproxy and rolling them back, every step written to the ledger first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.exceptions import ChaosError, ToxiproxyNotFound
from readiness_harness.contract.context import FaultLedger


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
    """A toxic on a named proxy, or the proxy taken down (``down: true``)."""

    model_config = ConfigDict(extra="forbid")

    proxy: str = Field(description="a fault proxy of the target (`proxies:` or a dependency's name)")
    down: bool = Field(default=False,
                       description="take the proxy down (connections refused) instead of adding a toxic")
    toxic: ToxicSpec | None = Field(default=None, description="the toxic to add")

    @model_validator(mode="after")
    def _one_kind(self) -> Fault:
        if self.down == (self.toxic is not None):
            raise ValueError("a fault is either `down: true` or a `toxic`, not both and not neither")
        return self

    def describe(self) -> str:
        if self.toxic is None:
            return f"proxy '{self.proxy}' down"
        attrs = ", ".join(f"{k}={v}" for k, v in self.toxic.attributes.items())
        return f"{self.toxic.type}({attrs}) on '{self.proxy}' {self.toxic.stream}"


@dataclass
class Injected:
    fault: Fault
    toxic_name: str | None = None


@dataclass
class Injector:
    """Injects faults and remembers them so :meth:`rollback` can undo every one."""

    client: ToxiproxyClient
    server: str
    ledger: FaultLedger | None
    prefix: str
    injected: list[Injected] = field(default_factory=list)

    async def inject(self, fault: Fault) -> None:
        if fault.toxic is None:
            if self.ledger:
                self.ledger.proxy_disabled(self.server, fault.proxy)
            self.injected.append(Injected(fault))
            await self.client.update_proxy(fault.proxy, enabled=False)
            return
        name = f"{self.prefix}-{len(self.injected) + 1}-{fault.toxic.type}"
        if self.ledger:
            self.ledger.toxic_added(self.server, fault.proxy, name)
        self.injected.append(Injected(fault, name))
        await self.client.add_toxic(
            fault.proxy,
            type=fault.toxic.type,
            attributes=fault.toxic.attributes,
            stream=fault.toxic.stream,
            toxicity=fault.toxic.toxicity,
            name=name,
        )

    async def rollback(self) -> list[str]:
        """Undo every injected fault, newest first; returns the problems met (each undo is tried)."""
        problems = []
        for injected in reversed(self.injected):
            try:
                await self._undo(injected)
            except ChaosError as exc:
                problems.append(f"{injected.fault.describe()}: {exc}")
        self.injected.clear()
        return problems

    async def _undo(self, injected: Injected) -> None:
        proxy, toxic = injected.fault.proxy, injected.toxic_name
        try:
            if toxic is None:
                await self.client.update_proxy(proxy, enabled=True)
            else:
                await self.client.remove_toxic(proxy, toxic)
        except ToxiproxyNotFound:
            pass  # the injection itself failed: nothing to undo
        if self.ledger and toxic is None:
            self.ledger.proxy_enabled(self.server, proxy)
        elif self.ledger and toxic is not None:
            self.ledger.toxic_removed(self.server, proxy, toxic)
