"""The set of proxies behind the control API, and the rules for creating and changing them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from readiness_harness.chaos.server.errors import (
    ApiError,
    bad_body,
    internal,
    missing_field,
    proxy_exists,
    proxy_not_found,
)
from readiness_harness.chaos.server.proxy import Proxy
from readiness_harness.chaos.server.toxics import Toxic, fold, parse_toxic, update_toxic

#: Listen address used when a create request gives none (loopback, free port).
DEFAULT_LISTEN = "127.0.0.1:0"


@dataclass(frozen=True)
class ProxyFields:
    name: str
    listen: str
    upstream: str
    enabled: bool


def proxy_fields(body: object, *, current: Mapping[str, Any], where: str = "") -> ProxyFields:
    """Read name/listen/upstream/enabled from a body (keys case-insensitive, null or absent
    ones defaulting to ``current``)."""
    if not isinstance(body, dict):
        raise bad_body(f"expected a JSON object, got {type(body).__name__}")
    given = fold(body, ("name", "listen", "upstream", "enabled"))
    merged = {**current, **{key: value for key, value in given.items() if value is not None}}
    for key in ("name", "listen", "upstream"):
        if not isinstance(merged.get(key, ""), str):
            raise bad_body(f"field '{key}' must be a string")
    if not isinstance(merged.get("enabled", True), bool):
        raise bad_body("field 'enabled' must be a boolean")
    for key in ("name", "upstream"):
        if not merged.get(key):
            raise missing_field(key + where)
    return ProxyFields(
        name=merged["name"],
        listen=merged.get("listen") or DEFAULT_LISTEN,
        upstream=merged["upstream"],
        enabled=merged.get("enabled", True),
    )


class ProxyRegistry:
    """The proxies by name. Every change to one name (create, update, delete, populate,
    reset) runs under that name's lock, so a change that awaits (binding a listener,
    closing sockets) is atomic for its name: two creates of one name give one 201 and one
    409, and no listener is bound for a proxy that does not end up in the registry."""

    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}
        self._locks = NameLocks()
        self._closed = False

    def sorted(self) -> list[Proxy]:
        return [self.proxies[name] for name in sorted(self.proxies)]

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise proxy_not_found()
        return proxy

    async def create(self, body: object) -> Proxy:
        fields = proxy_fields(body, current={})
        async with self._locks.hold(fields.name):
            if fields.name in self.proxies:
                raise proxy_exists()
            return await self._insert(fields)

    async def _insert(self, fields: ProxyFields) -> Proxy:
        """Start (when enabled) and register a new proxy; caller holds the name's lock."""
        proxy = Proxy(name=fields.name, listen=fields.listen, upstream=fields.upstream)
        if fields.enabled:
            await proxy.start()
        if self._closed:  # the server closed while the listener was being bound
            proxy.halt()
            raise internal("server is shutting down")
        self.proxies[proxy.name] = proxy
        return proxy

    async def update(self, name: str, body: object) -> Proxy:
        async with self._locks.hold(name):
            proxy = self.get(name)
            current = {"name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream}
            fields = proxy_fields(body, current={**current, "enabled": proxy.enabled})
            await proxy.update(listen=fields.listen, upstream=fields.upstream, enabled=fields.enabled)
            return proxy

    async def delete(self, name: str) -> None:
        """Remove the proxy, then close its listener and sockets before returning."""
        async with self._locks.hold(name):
            proxy = self.proxies.pop(name, None)
            if proxy is None:
                raise proxy_not_found()
            await proxy.stop()

    async def populate(self, body: object) -> tuple[list[Proxy], ApiError | None]:
        """Create or replace proxies from an array; stops at the first failure."""
        if not isinstance(body, list):
            raise bad_body(f"expected a JSON array, got {type(body).__name__}")
        wanted = [proxy_fields(item, current={}, where=f" at proxy {i}") for i, item in enumerate(body, 1)]
        done: list[Proxy] = []
        for fields in wanted:
            try:
                async with self._locks.hold(fields.name):
                    done.append(await self._add_or_replace(fields))
            except ApiError as exc:
                return done, exc
        return done, None

    async def _add_or_replace(self, fields: ProxyFields) -> Proxy:
        existing = self.proxies.get(fields.name)
        if existing is not None:
            if existing.listen == fields.listen and existing.upstream == fields.upstream:
                return existing
            del self.proxies[fields.name]
            await existing.stop()
        return await self._insert(fields)

    async def reset(self) -> None:
        """Re-enable every proxy and remove every toxic; proxies stay."""
        errors: list[str] = []
        for name in sorted(self.proxies):
            async with self._locks.hold(name):
                proxy = self.proxies.get(name)
                if proxy is None:
                    continue
                proxy.clear_toxics()
                try:
                    await proxy.start()
                except ApiError as exc:
                    errors.append(exc.message)
        if errors:
            raise internal("; ".join(errors))

    # -- toxics ------------------------------------------------------------------------

    def add_toxic(self, proxy_name: str, body: object) -> Toxic:
        proxy = self.get(proxy_name)
        toxic = parse_toxic(body, proxy.toxics.keys())
        proxy.add_toxic(toxic)
        return toxic

    def update_toxic(self, proxy_name: str, toxic_name: str, body: object) -> Toxic:
        proxy = self.get(proxy_name)
        toxic = update_toxic(proxy.get_toxic(toxic_name), body)
        proxy.replace_toxic(toxic)
        return toxic

    def close(self) -> None:
        """Close every listener and socket now; later creates are refused."""
        self._closed = True
        for proxy in self.proxies.values():
            proxy.halt()


class NameLocks:
    """One asyncio lock per name, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(name, (asyncio.Lock(), 0))
        self._locks[name] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)
