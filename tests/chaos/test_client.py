"""chaos.client.ToxiproxyClient against the embedded server: typed values, translated errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from readiness_harness.chaos.client import (
    Proxy,
    ProxySpec,
    Toxic,
    ToxiproxyBadRequest,
    ToxiproxyClient,
    ToxiproxyConflict,
    ToxiproxyError,
    ToxiproxyNotFound,
    ToxiproxyUnreachable,
)
from tests.chaos.support import Backends, closed_port

T = TypeVar("T")


def run(url: str, scenario: Callable[[ToxiproxyClient], Awaitable[T]]) -> T:
    async def main() -> T:
        async with ToxiproxyClient(url, timeout=5.0) as client:
            try:
                return await scenario(client)
            finally:
                for name in await client.list_proxies():
                    await client.delete_proxy(name)

    return asyncio.run(main())


def test_proxy_lifecycle(backends: Backends) -> None:
    async def scenario(client: ToxiproxyClient) -> None:
        assert (await client.version()).startswith("2.12.0")
        proxy = await client.create_proxy("c_db", upstream=backends.echo_address)
        assert isinstance(proxy, Proxy) and proxy.enabled and proxy.port > 0 and proxy.host == "127.0.0.1"
        assert await client.get_proxy("c_db") == proxy
        assert list(await client.list_proxies()) == ["c_db"]
        disabled = await client.update_proxy("c_db", enabled=False)
        assert (disabled.enabled, disabled.listen) == (False, proxy.listen)
        assert (await client.update_proxy("c_db", enabled=True)).listen == proxy.listen
        await client.delete_proxy("c_db")
        with pytest.raises(ToxiproxyNotFound) as caught:
            await client.get_proxy("c_db")
        assert (caught.value.status, caught.value.message) == (404, "proxy not found")

    run(backends.url, scenario)


def test_toxics(backends: Backends) -> None:
    async def scenario(client: ToxiproxyClient) -> None:
        await client.create_proxy("c_tox", upstream=backends.echo_address)
        toxic = await client.add_toxic("c_tox", type="latency", attributes={"latency": 100})
        assert toxic == Toxic("latency_downstream", "latency", "downstream", 1.0, {"latency": 100, "jitter": 0})
        await client.add_toxic("c_tox", type="timeout", stream="upstream", name="t", toxicity=0.5)
        assert [t.name for t in await client.list_toxics("c_tox")] == ["t", "latency_downstream"]
        updated = await client.update_toxic("c_tox", "latency_downstream", attributes={"jitter": 10})
        assert updated.attributes == {"latency": 100, "jitter": 10}
        assert (await client.update_toxic("c_tox", "t", toxicity=0.25)).toxicity == 0.25
        assert await client.get_toxic("c_tox", "t") == (await client.get_proxy("c_tox")).toxics[0]
        await client.remove_toxic("c_tox", "t")
        await client.reset()
        assert await client.list_toxics("c_tox") == []

    run(backends.url, scenario)


def test_populate(backends: Backends) -> None:
    async def scenario(client: ToxiproxyClient) -> None:
        created = await client.populate(
            [ProxySpec("c_a", upstream=backends.echo_address), {"name": "c_b", "upstream": backends.http_address}]
        )
        assert [proxy.name for proxy in created] == ["c_a", "c_b"]
        assert all(proxy.enabled for proxy in created)

    run(backends.url, scenario)


def test_errors_are_translated(backends: Backends) -> None:
    async def scenario(client: ToxiproxyClient) -> None:
        await client.create_proxy("c_err", upstream=backends.echo_address)
        with pytest.raises(ToxiproxyConflict):
            await client.create_proxy("c_err", upstream=backends.echo_address)
        with pytest.raises(ToxiproxyBadRequest, match="invalid toxic type"):
            await client.add_toxic("c_err", type="wobble")
        with pytest.raises(ToxiproxyBadRequest, match="out of range"):
            await client.add_toxic("c_err", type="latency", attributes={"latency": 2**64})
        with pytest.raises(ToxiproxyNotFound, match="toxic not found"):
            await client.remove_toxic("c_err", "nope")
        with pytest.raises(ToxiproxyError) as caught:
            await client.create_proxy("c_busy", upstream="x:1", listen=(await client.get_proxy("c_err")).listen)
        assert caught.value.status == 500

    run(backends.url, scenario)


def test_unreachable() -> None:
    async def scenario() -> None:
        async with ToxiproxyClient(f"http://127.0.0.1:{closed_port()}", timeout=1.0) as client:
            with pytest.raises(ToxiproxyUnreachable):
                await client.version()

    asyncio.run(scenario())


def test_proxy_environment_is_ignored(backends: Backends, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY / ALL_PROXY must not route control API calls through another host."""
    dead = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)

    async def scenario(client: ToxiproxyClient) -> str:
        return await client.version()

    assert run(backends.url, scenario).startswith("2.12.0")
