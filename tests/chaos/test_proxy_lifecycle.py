"""Proxy behaviour over time: toxicity, toxics changed on open connections, enable/disable."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.chaos.conftest import ProxyFactory, add_toxic
from tests.chaos.support import (
    Backends,
    closed_by_peer,
    closed_port,
    connect,
    connections,
    round_trip,
    timed_echoes,
    wait_for,
)


def _slow_connections(listen: str, count: int) -> int:
    """How many of ``count`` new connections see the 300 ms latency toxic."""
    with connections(listen, count) as socks:
        return sum(seconds >= 0.2995 for seconds in timed_echoes(socks))


@pytest.mark.parametrize(("toxicity", "expected"), [(0.0, 0), (1.0, 30)])
def test_toxicity_zero_never_one_always(
    api: httpx.Client, make_proxy: ProxyFactory, toxicity: float, expected: int
) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", toxicity=toxicity, attributes={"latency": 300})
    assert _slow_connections(proxy["listen"], 30) == expected


def test_toxicity_is_decided_per_connection(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", toxicity=0.5, attributes={"latency": 300})
    slow = _slow_connections(proxy["listen"], 40)
    assert 0 < slow < 40  # all-or-nothing has probability 2 * 0.5**40


def test_toxics_added_updated_removed_on_open_connection(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    base = f"/proxies/{proxy['name']}/toxics"
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) < 0.1
        add_toxic(api, proxy["name"], "latency", name="lat", attributes={"latency": 150})
        assert 0.1495 <= round_trip(sock) < 0.29
        api.post(f"{base}/lat", json={"attributes": {"latency": 300}})
        assert 0.2995 <= round_trip(sock) < 0.45
        api.delete(f"{base}/lat")
        assert round_trip(sock) < 0.1


def test_disable_closes_open_and_refuses_new_then_reenable_same_port(
    api: httpx.Client, make_proxy: ProxyFactory
) -> None:
    proxy = make_proxy()
    host, _, port = proxy["listen"].rpartition(":")
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        assert api.post(f"/proxies/{proxy['name']}", json={"enabled": False}).json()["enabled"] is False
        assert closed_by_peer(sock)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2).close()
    assert api.post(f"/proxies/{proxy['name']}", json={"enabled": True}).json()["listen"] == proxy["listen"]
    with connect(proxy["listen"]) as sock:
        round_trip(sock, b"back")


def test_changing_upstream_drops_connections_and_keeps_port(
    api: httpx.Client, make_proxy: ProxyFactory, backends: Backends
) -> None:
    proxy = make_proxy()
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        updated = api.patch(f"/proxies/{proxy['name']}", json={"upstream": backends.http_address}).json()
        assert closed_by_peer(sock)
    assert updated["listen"] == proxy["listen"] and updated["enabled"] is True
    with httpx.Client(timeout=5) as http:
        assert http.get(f"http://{proxy['listen']}/").text == "ok"


def test_delete_closes_open_connections(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    with connect(proxy["listen"]) as sock:
        round_trip(sock)
        api.delete(f"/proxies/{proxy['name']}")
        assert closed_by_peer(sock)


def test_unreachable_upstream_closes_client(make_proxy: ProxyFactory) -> None:
    proxy = make_proxy(upstream=f"127.0.0.1:{closed_port()}")
    with connect(proxy["listen"]) as sock:
        assert closed_by_peer(sock)


def test_reset_removes_toxics_from_open_connection(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", attributes={"latency": 200})
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) >= 0.1995
        api.post("/reset")
        assert round_trip(sock) < 0.1


def test_http_through_proxy_with_keep_alive(make_proxy: ProxyFactory, backends: Backends) -> None:
    proxy = make_proxy(upstream=backends.http_address)
    with httpx.Client(base_url=f"http://{proxy['listen']}", timeout=5) as http:
        start = time.perf_counter()
        bodies = [http.get("/").text for _ in range(20)]
        elapsed = time.perf_counter() - start
    assert bodies == ["ok"] * 20
    assert elapsed < 3.0


def test_closed_connections_are_forgotten(make_proxy: ProxyFactory, backends: Backends) -> None:
    proxy = make_proxy()
    state = backends.toxiproxy.registry.get(proxy["name"])
    with connections(proxy["listen"], 10) as socks:
        timed_echoes(socks)
        assert state.connection_count == 10
    assert wait_for(lambda: state.connection_count == 0)
