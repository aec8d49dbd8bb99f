"""The set of proxies behind the control API, and the rules for creating and changing them."""

from __future__ import annotations

from collections.abc import Mapping
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
from readiness_harness.chaos.server.toxics import Toxic, parse_toxic, update_toxic

#: Listen address used when a create request gives none (loopback, free port).
DEFAULT_LISTEN = "127.0.0.1:0"


@dataclass(frozen=True)
class ProxyFields:
    name: str
    listen: str
    upstream: str
    enabled: bool


def proxy_fields(body: object, *, current: Mapping[str, Any], where: str = "") -> ProxyFields:
    """Read name/listen/upstream/enabled from a body, each defaulting to ``current``."""
    if not isinstance(body, dict):
        raise bad_body(f"expected a JSON object, got {type(body).__name__}")
    merged = {**current, **{key: value for key, value in body.items() if value is not None}}
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
    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}

    def sorted(self) -> list[Proxy]:
        return [self.proxies[name] for name in sorted(self.proxies)]

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise proxy_not_found()
        return proxy

    async def create(self, body: object) -> Proxy:
        fields = proxy_fields(body, current={})
        if fields.name in self.proxies:
            raise proxy_exists()
        proxy = Proxy(name=fields.name, listen=fields.listen, upstream=fields.upstream)
        if fields.enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    async def update(self, name: str, body: object) -> Proxy:
        proxy = self.get(name)
        current = {"name": proxy.name, "listen": proxy.listen, "upstream": proxy.upstream}
        fields = proxy_fields(body, current={**current, "enabled": proxy.enabled})
        await proxy.update(listen=fields.listen, upstream=fields.upstream, enabled=fields.enabled)
        return proxy

    def delete(self, name: str) -> None:
        self.get(name).stop()
        del self.proxies[name]

    async def populate(self, body: object) -> tuple[list[Proxy], ApiError | None]:
        """Create or replace proxies from an array; stops at the first failure."""
        if not isinstance(body, list):
            raise bad_body(f"expected a JSON array, got {type(body).__name__}")
        wanted = [proxy_fields(item, current={}, where=f" at proxy {i}") for i, item in enumerate(body, 1)]
        done: list[Proxy] = []
        for fields in wanted:
            try:
                done.append(await self._add_or_replace(fields))
            except ApiError as exc:
                return done, exc
        return done, None

    async def _add_or_replace(self, fields: ProxyFields) -> Proxy:
        existing = self.proxies.get(fields.name)
        if existing is not None:
            if existing.listen == fields.listen and existing.upstream == fields.upstream:
                return existing
            self.delete(fields.name)
        proxy = Proxy(name=fields.name, listen=fields.listen, upstream=fields.upstream)
        if fields.enabled:
            await proxy.start()
        self.proxies[proxy.name] = proxy
        return proxy

    async def reset(self) -> None:
        """Re-enable every proxy and remove every toxic; proxies stay."""
        errors: list[str] = []
        for proxy in self.sorted():
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
        for proxy in self.proxies.values():
            proxy.stop()
