"""Async client for the Toxiproxy v2 HTTP API, real or embedded.

Every method returns typed values (``Proxy``, ``Toxic``) and raises only the errors of
``chaos.exceptions``: ``ToxiproxyError`` (with ``status`` and ``message``) when the API
answers an error, ``ToxiproxyUnreachable`` when it does not answer at all::

    async with ToxiproxyClient("http://127.0.0.1:8474", timeout=5.0) as toxiproxy:
        proxy = await toxiproxy.create_proxy("db", upstream="127.0.0.1:5432")
        await toxiproxy.add_toxic("db", type="latency", attributes={"latency": 100})

``names`` maps the proxy names a caller uses to the names on the server: an audit's proxies carry a
run-unique prefix there (``<run id>.db``) while checklists keep saying ``db``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from readiness_harness.chaos.exceptions import (
    ChaosError,
    ToxiproxyBadRequest,
    ToxiproxyConflict,
    ToxiproxyError,
    ToxiproxyNotFound,
    ToxiproxyUnreachable,
    error_for_status,
)
from readiness_harness.chaos.models import Proxy, ProxySpec, Stream, Toxic

__all__ = [
    "ChaosError",
    "Proxy",
    "ProxySpec",
    "Toxic",
    "ToxiproxyBadRequest",
    "ToxiproxyClient",
    "ToxiproxyConflict",
    "ToxiproxyError",
    "ToxiproxyNotFound",
    "ToxiproxyUnreachable",
]

DEFAULT_URL = "http://127.0.0.1:8474"


class ToxiproxyClient:
    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._names = dict(names or {})
        # trust_env=False: HTTP(S)_PROXY, ALL_PROXY or NO_PROXY in the environment must never
        # route control API calls anywhere but ``url`` (nor pick up .netrc credentials).
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, transport=transport, trust_env=False)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ToxiproxyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- transport ---------------------------------------------------------------------

    async def _request(self, method: str, path: str, payload: Any = None) -> Any:
        try:
            response = await self._http.request(method, path, json=payload)
        except httpx.HTTPError as exc:
            raise ToxiproxyUnreachable(f"toxiproxy at {self.url} did not answer {method} {path}: {exc!r}") from exc
        if response.status_code >= 400:
            raise error_for_status(response.status_code, _error_message(response))
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ToxiproxyError(response.status_code, f"invalid JSON in answer: {exc}") from exc

    # -- server ------------------------------------------------------------------------

    async def version(self) -> str:
        data = await self._request("GET", "/version")
        return str(data["version"]) if isinstance(data, dict) else str(data)

    async def reset(self) -> None:
        """Re-enable every proxy and remove every toxic."""
        await self._request("POST", "/reset")

    # -- proxies -----------------------------------------------------------------------

    async def list_proxies(self) -> dict[str, Proxy]:
        data = await self._request("GET", "/proxies")
        return {name: Proxy.from_json(proxy) for name, proxy in sorted(data.items())}

    async def create_proxy(
        self, name: str, *, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> Proxy:
        payload = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return Proxy.from_json(await self._request("POST", "/proxies", payload))

    async def get_proxy(self, name: str) -> Proxy:
        return Proxy.from_json(await self._request("GET", self._proxy_path(name)))

    async def update_proxy(
        self,
        name: str,
        *,
        enabled: bool | None = None,
        listen: str | None = None,
        upstream: str | None = None,
    ) -> Proxy:
        """Change only the fields given; the server merges them over the current ones."""
        fields = {"enabled": enabled, "listen": listen, "upstream": upstream}
        payload = {key: value for key, value in fields.items() if value is not None}
        return Proxy.from_json(await self._request("POST", self._proxy_path(name), payload))

    async def delete_proxy(self, name: str) -> None:
        await self._request("DELETE", self._proxy_path(name))

    async def populate(self, proxies: Iterable[ProxySpec | Mapping[str, Any]]) -> list[Proxy]:
        """Create or replace proxies in one call; unchanged ones are kept as they are."""
        payload = [spec.to_json() if isinstance(spec, ProxySpec) else dict(spec) for spec in proxies]
        data = await self._request("POST", "/populate", payload)
        return [Proxy.from_json(proxy) for proxy in data["proxies"]]

    # -- toxics ------------------------------------------------------------------------

    async def list_toxics(self, proxy: str) -> list[Toxic]:
        data = await self._request("GET", f"{self._proxy_path(proxy)}/toxics")
        return [Toxic.from_json(toxic) for toxic in data]

    async def add_toxic(
        self,
        proxy: str,
        *,
        type: str,
        attributes: Mapping[str, int] | None = None,
        stream: Stream = "downstream",
        toxicity: float = 1.0,
        name: str | None = None,
    ) -> Toxic:
        payload: dict[str, Any] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": dict(attributes or {}),
        }
        if name is not None:
            payload["name"] = name
        return Toxic.from_json(await self._request("POST", f"{self._proxy_path(proxy)}/toxics", payload))

    async def get_toxic(self, proxy: str, name: str) -> Toxic:
        return Toxic.from_json(await self._request("GET", self._toxic_path(proxy, name)))

    async def update_toxic(
        self,
        proxy: str,
        name: str,
        *,
        attributes: Mapping[str, int] | None = None,
        toxicity: float | None = None,
    ) -> Toxic:
        """Merge attributes over the toxic's current ones; toxicity kept unless given."""
        payload: dict[str, Any] = {"attributes": dict(attributes or {})}
        if toxicity is not None:
            payload["toxicity"] = toxicity
        return Toxic.from_json(await self._request("POST", self._toxic_path(proxy, name), payload))

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await self._request("DELETE", self._toxic_path(proxy, name))

    def _proxy_path(self, name: str) -> str:
        return f"/proxies/{quote(self._names.get(name, name), safe='')}"

    def _toxic_path(self, proxy: str, name: str) -> str:
        return f"{self._proxy_path(proxy)}/toxics/{quote(name, safe='')}"




def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(data, dict) and "error" in data:
        return str(data["error"])
    return response.text.strip()
