"""The fault proxies of one run: created on the audit's Toxiproxy under run-unique names, written to the
ledger before they exist, deleted at teardown.

A checklist names a proxy as the target file does (``proxy: upstream_primary``); on the server it is
``<run id>.upstream_primary``, so audits sharing one Toxiproxy (``TOXIPROXY_URL``) never collide, and
the proxies of a killed run are recognisable and deleted by the next run (from the ledger). Clients
that drive the faults translate the names with ``ProxyInfo.server_names``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from readiness_harness.chaos.client import ToxiproxyClient, ToxiproxyError, ToxiproxyNotFound, ToxiproxyUnreachable
from readiness_harness.chaos.ledger import Ledger
from readiness_harness.contract.errors import TargetError


@dataclass
class ProxyInfo:
    """What the harness knows about Toxiproxy during an audit (implements ``contract.context.FaultProxies``)."""

    url: str
    kind: str
    version: str
    names: list[str] = field(default_factory=list)
    server_names: dict[str, str] = field(default_factory=dict)
    shared: bool = False  # a server this run did not start: what it creates there is ledgered


@dataclass(frozen=True)
class Route:
    name: str
    listen: str
    upstream: str


async def create_proxies(info: ProxyInfo, routes: list[Route], *, prefix: str, ledger: Ledger | None) -> dict[str, str]:
    """Create every route's proxy as ``prefix + name``; returns name -> the address it listens on."""
    listening: dict[str, str] = {}
    async with ToxiproxyClient(info.url) as client:
        for route in routes:
            server_name = f"{prefix}{route.name}"
            if ledger is not None and info.shared:
                ledger.proxy_created(info.url, route.name, server_name)
            info.names.append(route.name)
            info.server_names[route.name] = server_name
            try:
                created = await client.create_proxy(name=server_name, listen=route.listen, upstream=route.upstream)
            except (ToxiproxyError, ToxiproxyUnreachable) as exc:
                raise TargetError(f"could not create fault proxy '{route.name}': {exc}") from exc
            listening[route.name] = created.listen
    return listening


async def delete_proxies(info: ProxyInfo, *, ledger: Ledger | None) -> list[str]:
    """Delete the run's proxies (each one tried); the problems met. A deleted proxy leaves the ledger."""
    problems: list[str] = []
    try:
        async with ToxiproxyClient(info.url) as client:
            for name, server_name in info.server_names.items():
                try:
                    await client.delete_proxy(server_name)
                except ToxiproxyNotFound:
                    pass  # never created (creation failed) or already gone
                except ToxiproxyError as exc:
                    problems.append(f"fault proxy '{name}' was not deleted: {exc}")
                    continue
                if ledger is not None and info.shared:
                    ledger.proxy_deleted(info.url, server_name)
    except ToxiproxyUnreachable as exc:
        problems.append(f"the fault proxies were not deleted: {exc}")
    return problems
