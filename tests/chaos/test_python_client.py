"""toxiproxy-python 0.1.1, unchanged, against the embedded server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from tests.chaos.support import Backends, connect, round_trip


@pytest.fixture
def toxiproxy(backends: Backends) -> Iterator[Toxiproxy]:
    host, port = backends.url.removeprefix("http://").rsplit(":", 1)
    server = Toxiproxy()
    server.update_api_consumer(host, int(port))  # class-level, per test process
    yield server
    server.destroy_all()


def test_create_list_version(toxiproxy: Toxiproxy, backends: Backends) -> None:
    assert toxiproxy.running()
    assert b"2.12.0" in toxiproxy.version()
    proxy = toxiproxy.create(upstream=backends.echo_address, name="py_echo")
    assert proxy.enabled and not proxy.listen.endswith(":0")
    assert set(toxiproxy.proxies()) == {"py_echo"}
    assert toxiproxy.get_proxy("py_echo").listen == proxy.listen
    with pytest.raises(ProxyExists):
        toxiproxy.create(upstream=backends.echo_address, name="py_echo")
    with connect(proxy.listen) as sock:
        round_trip(sock)


def test_toxics_and_reset(toxiproxy: Toxiproxy, backends: Backends) -> None:
    proxy = toxiproxy.create(upstream=backends.echo_address, name="py_tox")
    proxy.add_toxic(type="latency", attributes={"latency": 60})
    proxy.add_toxic(type="bandwidth", stream="upstream", name="bw", attributes={"rate": 1000})
    assert set(proxy.toxics()) == {"latency_downstream", "bw"}
    assert proxy.get_toxic("latency_downstream").attributes == {"latency": 60, "jitter": 0}
    with connect(proxy.listen) as sock:
        assert round_trip(sock) >= 0.06
    with pytest.raises(ProxyExists):
        proxy.add_toxic(type="latency")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="nonsense")
    assert proxy.destroy_toxic("bw")
    assert set(proxy.toxics()) == {"latency_downstream"}
    assert toxiproxy.reset()
    assert proxy.toxics() == {}


def test_enable_disable_and_populate(toxiproxy: Toxiproxy, backends: Backends) -> None:
    proxy = toxiproxy.create(upstream=backends.echo_address, name="py_down")
    with proxy.down():
        assert toxiproxy.get_proxy("py_down").enabled is False
        with pytest.raises(ConnectionRefusedError), connect(proxy.listen):
            pass
    assert toxiproxy.get_proxy("py_down").enabled is True
    with connect(proxy.listen) as sock:
        round_trip(sock)
    created = toxiproxy.populate([{"name": "py_pop", "upstream": backends.http_address, "listen": "127.0.0.1:0"}])
    assert [p.name for p in created] == ["py_pop"]
    assert toxiproxy.destroy(proxy)
    with pytest.raises(NotFound):
        proxy.toxics()
