"""Control API of the embedded server: every endpoint, status code and error body."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.chaos.conftest import ProxyFactory, add_toxic
from tests.chaos.support import Backends


def error(status: int, message: str) -> dict[str, object]:
    return {"error": message, "status": status}


def test_version(api: httpx.Client) -> None:
    response = api.get("/version")
    assert response.status_code == 200
    assert response.json()["version"].startswith("2.12.0")


def test_create_answers_bound_address_and_lists_sorted(api: httpx.Client, backends: Backends) -> None:
    for name in ("zeta", "alpha", "mid"):
        response = api.post("/proxies", json={"name": name, "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"})
        assert response.status_code == 201
        body = response.json()
        assert body["name"] == name and body["enabled"] is True and body["toxics"] == []
        assert body["listen"].startswith("127.0.0.1:") and not body["listen"].endswith(":0")
    listed = api.get("/proxies").json()
    assert list(listed) == ["alpha", "mid", "zeta"]
    assert api.get("/proxies/mid").json() == listed["mid"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"upstream": "127.0.0.1:9"}, "missing required field: name"),
        ({"name": "x"}, "missing required field: upstream"),
    ],
)
def test_create_missing_field(api: httpx.Client, body: dict[str, str], message: str) -> None:
    response = api.post("/proxies", json=body)
    assert (response.status_code, response.json()) == (400, error(400, message))


def test_create_bad_body_duplicate_and_busy_port(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    response = api.post("/proxies", content=b"{not json")
    assert response.status_code == 400 and response.json()["error"].startswith("bad request body: ")
    proxy = make_proxy()
    again = api.post("/proxies", json={"name": proxy["name"], "upstream": "127.0.0.1:9"})
    assert (again.status_code, again.json()) == (409, error(409, "proxy already exists"))
    busy = api.post("/proxies", json={"name": "busy", "listen": proxy["listen"], "upstream": "127.0.0.1:9"})
    assert busy.status_code == 500 and "address already in use" in busy.json()["error"]
    assert api.get("/proxies/busy").status_code == 404


def test_unknown_proxy_is_404(api: httpx.Client) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = api.request(method, "/proxies/nope", json={} if method == "POST" else None)
        assert (response.status_code, response.json()) == (404, error(404, "proxy not found"))
    response = api.get("/proxies/nope/toxics")
    assert (response.status_code, response.json()) == (404, error(404, "proxy not found"))


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_update_merges_fields(api: httpx.Client, make_proxy: ProxyFactory, method: str) -> None:
    proxy = make_proxy()
    response = api.request(method, f"/proxies/{proxy['name']}", json={"enabled": False})
    assert response.status_code == 200
    assert response.json() == {**proxy, "enabled": False}
    response = api.request(method, f"/proxies/{proxy['name']}", json={"enabled": True})
    assert response.json() == proxy  # same resolved port again


def test_update_upstream_keeps_listen(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    response = api.patch(f"/proxies/{proxy['name']}", json={"upstream": "127.0.0.1:9"})
    assert response.json() == {**proxy, "upstream": "127.0.0.1:9"}


def test_delete_proxy(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    name = make_proxy()["name"]
    response = api.delete(f"/proxies/{name}")
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"/proxies/{name}").status_code == 404


def test_populate_creates_keeps_and_replaces(api: httpx.Client, backends: Backends) -> None:
    specs = [
        {"name": "pop_a", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"},
        {"name": "pop_b", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:9"},
    ]
    response = api.post("/populate", json=specs)
    assert response.status_code == 201
    created = response.json()["proxies"]
    assert [proxy["name"] for proxy in created] == ["pop_a", "pop_b"]
    same = {**specs[0], "listen": created[0]["listen"]}
    changed = {**specs[1], "listen": created[1]["listen"], "upstream": backends.echo_address}
    again = api.post("/populate", json=[same, changed]).json()["proxies"]
    assert again[0] == created[0]
    assert again[1]["upstream"] == backends.echo_address


def test_populate_errors(api: httpx.Client) -> None:
    response = api.post("/populate", json=[{"name": "ok", "upstream": "127.0.0.1:9"}, {"upstream": "x:1"}])
    expected = {**error(400, "missing required field: name at proxy 2"), "proxies": None}
    assert (response.status_code, response.json()) == (400, expected)
    assert api.get("/proxies/ok").status_code == 404  # validated before anything is created
    response = api.post("/populate", json={"name": "not-an-array"})
    assert response.status_code == 400 and response.json()["error"].startswith("bad request body: ")


def test_toxic_defaults_and_get(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    name = make_proxy()["name"]
    toxic = add_toxic(api, name, "latency", attributes={"latency": 10})
    assert toxic == {
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
        "attributes": {"latency": 10, "jitter": 0},
    }
    assert api.get(f"/proxies/{name}/toxics/latency_downstream").json() == toxic
    assert api.get(f"/proxies/{name}").json()["toxics"] == [toxic]


def test_toxics_listed_upstream_then_downstream(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    name = make_proxy()["name"]
    add_toxic(api, name, "latency", name="d1")
    add_toxic(api, name, "bandwidth", name="u1", stream="upstream")
    add_toxic(api, name, "slicer", name="d2", attributes={"average_size": 5})
    add_toxic(api, name, "timeout", name="u2", stream="upstream")
    names = [toxic["name"] for toxic in api.get(f"/proxies/{name}/toxics").json()]
    assert names == ["u1", "u2", "d1", "d2"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"type": "latency", "stream": "sideways"}, 400, "stream was invalid, can be either upstream or downstream"),
        ({"type": "wobble"}, 400, "invalid toxic type"),
        ({"type": "latency", "name": "taken", "stream": "upstream"}, 409, "toxic already exists"),
    ],
)
def test_toxic_create_errors(
    api: httpx.Client, make_proxy: ProxyFactory, body: dict[str, str], status: int, message: str
) -> None:
    name = make_proxy()["name"]
    add_toxic(api, name, "latency", name="taken")  # downstream: names are unique across streams
    response = api.post(f"/proxies/{name}/toxics", json=body)
    assert (response.status_code, response.json()) == (status, error(status, message))


@pytest.mark.parametrize(
    "body",
    [
        {"type": "latency", "attributes": {"latency": "100"}},
        {"type": "latency", "attributes": {"latency": 1.5}},
        {"type": "latency", "attributes": {"latency": True}},
        {"type": "slicer", "attributes": {"average_size": 0, "size_variation": 0}},
        {"type": "latency", "toxicity": "high"},
        {"type": "latency", "toxicity": True},
        {"type": "latency", "attributes": [1]},
        {"type": 7},
    ],
)
def test_invalid_toxic_is_400(api: httpx.Client, make_proxy: ProxyFactory, body: dict[str, object]) -> None:
    name = make_proxy()["name"]
    response = api.post(f"/proxies/{name}/toxics", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400 and response.json()["error"]
    assert api.get(f"/proxies/{name}/toxics").json() == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_toxic_update_merges(api: httpx.Client, make_proxy: ProxyFactory, method: str) -> None:
    name = make_proxy()["name"]
    add_toxic(api, name, "latency", name="lat", toxicity=0.5, attributes={"latency": 100, "jitter": 5})
    url = f"/proxies/{name}/toxics/lat"
    response = api.request(method, url, json={"attributes": {"latency": 200}, "stream": "upstream"})
    assert response.status_code == 200
    assert response.json() == {
        "name": "lat",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 0.5,
        "attributes": {"latency": 200, "jitter": 5},
    }
    assert api.request(method, url, json={"toxicity": 1}).json()["toxicity"] == 1.0
    bad = api.request(method, url, json={"attributes": {"jitter": 2**64}})
    assert bad.status_code == 400


def test_toxic_not_found_and_delete(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    name = make_proxy()["name"]
    add_toxic(api, name, "timeout", name="t")
    for method in ("GET", "POST", "DELETE"):
        response = api.request(method, f"/proxies/{name}/toxics/nope", json={} if method == "POST" else None)
        assert (response.status_code, response.json()) == (404, error(404, "toxic not found"))
    response = api.delete(f"/proxies/{name}/toxics/t")
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"/proxies/{name}/toxics").json() == []


def test_reset_enables_and_clears(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", attributes={"latency": 10})
    api.post(f"/proxies/{proxy['name']}", json={"enabled": False})
    response = api.post("/reset")
    assert (response.status_code, response.content) == (204, b"")
    assert api.get(f"/proxies/{proxy['name']}").json() == proxy


def test_unknown_route_and_method(api: httpx.Client) -> None:
    assert api.get("/nothing").status_code == 404
    assert api.put("/proxies").status_code == 405
    assert api.get("/version", headers={"User-Agent": "Mozilla/5.0"}).status_code == 403


def test_expect_100_continue(backends: Backends) -> None:
    host, port = backends.url.removeprefix("http://").split(":")
    body = b'{"name": "expecting", "upstream": "127.0.0.1:9"}'
    head = (
        f"POST /proxies HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head.encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201 Created")
    httpx.delete(f"{backends.url}/proxies/expecting")


def test_keep_alive_answers_several_requests_on_one_socket(backends: Backends) -> None:
    host, port = backends.url.removeprefix("http://").split(":")
    request = f"GET /version HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        answers = []
        for _ in range(3):
            sock.sendall(request)
            answers.append(sock.recv(4096))
    assert all(answer.startswith(b"HTTP/1.1 200 OK") for answer in answers)
