"""What Toxiproxy v2.12 accepts, the embedded server accepts with the same effect; what
would break it is refused with 400; every request gets an answer (docs/toxiproxy-compat.md)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import httpx
import pytest

from tests.chaos.conftest import ProxyFactory, add_toxic
from tests.chaos.sockets import raw_request
from tests.chaos.support import Backends, closed_by_peer, connect, connections, round_trip, timed_echoes

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@pytest.mark.parametrize(
    ("body", "attributes"),
    [
        ({"type": "latency", "attributes": {"latency": 100, "latancy": 5}}, {"latency": 100, "jitter": 0}),
        ({"type": "latency", "attributes": {"Latency": 7}}, {"latency": 7, "jitter": 0}),
        ({"type": "latency", "attributes": {"latency": -100, "jitter": -5}}, {"latency": -100, "jitter": -5}),
        ({"type": "bandwidth", "attributes": {"rate": -1}}, {"rate": -1}),
        ({"type": "timeout", "attributes": {"timeout": None}}, {"timeout": 0}),
        (
            {"type": "slicer", "attributes": {"average_size": 5, "size_variation": -3}},
            {"average_size": 5, "size_variation": -3, "delay": 0},
        ),
        ({"type": "limit_data", "attributes": {"bytes": INT64_MAX}}, {"bytes": INT64_MAX}),
    ],
)
def test_accepted_like_toxiproxy(
    api: httpx.Client, make_proxy: ProxyFactory, body: dict[str, Any], attributes: dict[str, int]
) -> None:
    name = make_proxy()["name"]
    assert add_toxic(api, name, **body)["attributes"] == attributes


@pytest.mark.parametrize(("given", "echoed"), [(None, 1), (1, 1), (1.0, 1), (0.5, 0.5), (1.5, 1.5), (-0.5, -0.5)])
def test_toxicity_echoed_as_toxiproxy_prints_it(
    api: httpx.Client, make_proxy: ProxyFactory, given: float | None, echoed: float
) -> None:
    name = make_proxy()["name"]
    answer = api.post(f"/proxies/{name}/toxics", json={"type": "latency", "toxicity": given})
    assert answer.status_code == 200
    assert json.dumps(answer.json()["toxicity"]) == json.dumps(echoed)  # 1 stays 1, not 1.0


def test_proxy_fields_are_matched_case_insensitively(api: httpx.Client, backends: Backends) -> None:
    response = api.post("/proxies", json={"Name": "cased", "UPSTREAM": backends.echo_address, "listen": None})
    assert response.status_code == 201, response.text
    assert (response.json()["name"], response.json()["upstream"]) == ("cased", backends.echo_address)


def test_stream_echoed_as_sent_and_applied_case_insensitively(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    toxic = add_toxic(api, proxy["name"], "latency", stream="UPSTREAM", attributes={"latency": 150})
    assert (toxic["name"], toxic["stream"]) == ("latency_UPSTREAM", "UPSTREAM")
    add_toxic(api, proxy["name"], "bandwidth", name="down")
    listed = api.get(f"/proxies/{proxy['name']}/toxics").json()
    assert [t["name"] for t in listed] == ["latency_UPSTREAM", "down"]  # upstream toxics first
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock) >= 0.1495


@pytest.mark.parametrize(("toxicity", "slow"), [(1.5, 20), (-0.5, 0)])
def test_toxicity_outside_zero_one_has_toxiproxys_effect(
    api: httpx.Client, make_proxy: ProxyFactory, toxicity: float, slow: int
) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", toxicity=toxicity, attributes={"latency": 300})
    with connections(proxy["listen"], 20) as socks:
        assert sum(seconds >= 0.2995 for seconds in timed_echoes(socks)) == slow


def test_negative_latency_adds_nothing(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", attributes={"latency": -1000, "jitter": -1000})
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock, b"x" * 1000) < 0.5


@pytest.mark.parametrize(
    "body",
    [
        {"type": "latency", "attributes": {"latency": 10**400}},
        {"type": "latency", "attributes": {"jitter": 2**64}},
        {"type": "bandwidth", "attributes": {"rate": INT64_MAX + 1}},
        {"type": "slow_close", "attributes": {"delay": INT64_MIN - 1}},
        {"type": "slicer", "attributes": {"average_size": 0, "size_variation": 0}},
        {"type": "slicer", "attributes": {"average_size": -1, "size_variation": 1}},
        {"type": "latency", "toxicity": 1e39},
        {"type": "latency", "toxicity": "high"},
    ],
)
def test_refused_what_would_break_the_proxy(
    api: httpx.Client, make_proxy: ProxyFactory, body: dict[str, Any]
) -> None:
    name = make_proxy()["name"]
    response = api.post(f"/proxies/{name}/toxics", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("bad request body: ")
    assert api.get(f"/proxies/{name}/toxics").json() == []


def test_refused_on_update_too(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    name = make_proxy()["name"]
    add_toxic(api, name, "latency", name="lat", attributes={"latency": 5})
    assert api.patch(f"/proxies/{name}/toxics/lat", json={"attributes": {"latency": 2**64}}).status_code == 400
    assert api.get(f"/proxies/{name}/toxics/lat").json()["attributes"]["latency"] == 5


EXTREMES = [
    ("latency", "latency"), ("latency", "jitter"), ("bandwidth", "rate"), ("slow_close", "delay"),
    ("timeout", "timeout"), ("reset_peer", "timeout"), ("slicer", "average_size"), ("slicer", "size_variation"),
    ("slicer", "delay"), ("limit_data", "bytes"),
]  # fmt: skip


def _on_both_streams(api: httpx.Client, proxy: str, kind: str, attributes: dict[str, int]) -> bool:
    for stream in ("upstream", "downstream"):
        response = api.post(f"/proxies/{proxy}/toxics", json={"type": kind, "stream": stream, "attributes": attributes})
        if response.status_code == 400:  # only a slicer that could make no slice may be refused
            assert kind == "slicer", response.text
            return False
        assert response.status_code == 200, response.text
    return True


@pytest.mark.parametrize("value", [INT64_MAX, INT64_MIN])
def test_64_bit_extremes_never_break_traffic(
    api: httpx.Client, make_proxy: ProxyFactory, backends: Backends, value: int
) -> None:
    errors = len(backends.loop.errors)
    for kind, attribute in EXTREMES:
        proxy = make_proxy()
        attributes = {"average_size": 1, attribute: value} if kind == "slicer" else {attribute: value}
        if _on_both_streams(api, proxy["name"], kind, attributes):
            with connect(proxy["listen"], timeout=0.2) as sock:
                sock.sendall(b"hello")
                with contextlib.suppress(OSError):  # held, dropped or reset: the toxic's doing
                    sock.recv(16)
        api.delete(f"/proxies/{proxy['name']}")
    assert api.get("/version").status_code == 200
    assert backends.loop.errors[errors:] == []


def test_error_texts(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    listen = make_proxy()["listen"]
    busy = api.post("/proxies", json={"name": "busy", "listen": listen, "upstream": "127.0.0.1:9"})
    assert busy.json() == {"error": f"listen tcp {listen}: bind: address already in use", "status": 500}
    portless = api.post("/proxies", json={"name": "portless", "listen": "localhost", "upstream": "127.0.0.1:9"})
    assert portless.json() == {"error": "listen tcp: address localhost: missing port in address", "status": 500}


def test_populate_failure_bodies(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    invalid = api.post("/populate", json=[{"name": "v1", "upstream": "127.0.0.1:9"}, {"name": "v2"}])
    assert invalid.json() == {"error": "missing required field: upstream at proxy 2", "status": 400, "proxies": None}
    listen = make_proxy()["listen"]
    partial = api.post("/populate", json=[
        {"name": "first", "upstream": "127.0.0.1:9"}, {"name": "second", "listen": listen, "upstream": "127.0.0.1:9"},
    ])  # fmt: skip
    assert partial.status_code == 500
    assert [proxy["name"] for proxy in partial.json()["proxies"]] == ["first"]
    empty = api.post("/populate", json=[])
    assert (empty.status_code, empty.json()) == (201, {"proxies": None})


DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/proxies", DEEP),
        ("POST", "/populate", DEEP),
        ("POST", "/proxies/{name}", DEEP),
        ("POST", "/proxies/{name}/toxics", DEEP),
        ("POST", "/proxies/{name}/toxics", b'{"type": "latency", "toxicity": NaN}'),
        ("POST", "/proxies", b'{"name": "nul", "listen": "127.0.0\\u0000.1:0", "upstream": "127.0.0.1:9"}'),
        ("POST", "/populate", b'[{"name": "nul", "listen": "127.0.0\\u0000.1:0", "upstream": "127.0.0.1:9"}]'),
        ("POST", "/proxies/{name}", b'{"listen": "127.0.0\\u0000.1:0"}'),
        ("POST", "/proxies", b'{"name": "idna", "listen": "' + b"a" * 70 + b'.example:0", "upstream": "x:1"}'),
    ],
)
def test_hostile_requests_are_answered_400(
    backends: Backends, make_proxy: ProxyFactory, method: str, path: str, body: bytes
) -> None:
    name = make_proxy()["name"]
    status, answer = raw_request(backends.url, method, path.format(name=name), body)
    assert status == 400, answer
    assert json.loads(answer)["error"].startswith("bad request body: ")


def test_refused_listen_change_leaves_the_proxy_as_it_was(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    for listen in ("127.0.0\x00.1:0", "portless"):
        assert api.patch(f"/proxies/{proxy['name']}", json={"listen": listen}).status_code in (400, 500)
        assert api.get(f"/proxies/{proxy['name']}").json() == proxy
    with connect(proxy["listen"]) as sock:
        round_trip(sock)


def test_nul_in_upstream_is_accepted_and_closes_clients(
    api: httpx.Client, make_proxy: ProxyFactory, backends: Backends
) -> None:
    errors = len(backends.loop.errors)
    proxy = make_proxy(upstream="127.0.0\x00.1:9")
    with connect(proxy["listen"]) as sock:
        assert closed_by_peer(sock)
    assert backends.loop.errors[errors:] == []
