from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.chaos.support import Backends, LoopThread

_names = itertools.count()


@pytest.fixture(scope="session")
def backends() -> Iterator[Backends]:
    loop = LoopThread()
    servers = Backends(loop)
    try:
        yield servers
    finally:
        servers.close()
        loop.stop()


@pytest.fixture
def api(backends: Backends) -> Iterator[httpx.Client]:
    """A plain httpx client on the control API; every proxy is deleted afterwards."""
    with httpx.Client(base_url=backends.url, timeout=5.0) as client:
        yield client
        for name in client.get("/proxies").json():
            client.delete(f"/proxies/{name}")


ProxyFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_proxy(api: httpx.Client, backends: Backends) -> ProxyFactory:
    """Create a proxy (to the echo server unless told) and return its JSON."""

    def create(upstream: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "name": f"p{next(_names)}",
            "listen": "127.0.0.1:0",
            "upstream": upstream or backends.echo_address,
            **fields,
        }
        response = api.post("/proxies", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return create


def add_toxic(api: httpx.Client, proxy: str, type: str, **body: Any) -> dict[str, Any]:
    response = api.post(f"/proxies/{proxy}/toxics", json={"type": type, **body})
    assert response.status_code == 200, response.text
    return dict(response.json())
