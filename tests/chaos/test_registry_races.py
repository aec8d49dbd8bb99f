"""Concurrent control-API calls on one proxy name: create and delete are atomic per name,
and no path leaves a listening socket behind.

The requests go out together on separate connections (httpx.AsyncClient, one connection
per request in flight), so the server handles them interleaved, as when several audits
or threads share one Toxiproxy.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from readiness_harness.chaos.server import ToxiproxyServer
from tests.chaos.sockets import listening_sockets
from tests.chaos.support import Backends

CONCURRENT = 40


def _async_client(backends: Backends) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=CONCURRENT, max_keepalive_connections=CONCURRENT)
    return httpx.AsyncClient(base_url=backends.url, timeout=10.0, limits=limits)


async def _creates(backends: Backends, body: dict[str, Any]) -> list[int]:
    async with _async_client(backends) as client:
        responses = await asyncio.gather(*(client.post("/proxies", json=body) for _ in range(CONCURRENT)))
    return [response.status_code for response in responses]


async def _storm(backends: Backends, names: list[str], rounds: int) -> Counter[int]:
    """Every worker creates then deletes its name ``rounds`` times; four workers per name."""
    statuses: Counter[int] = Counter()

    async def worker(client: httpx.AsyncClient, name: str) -> None:
        for _ in range(rounds):
            created = await client.post("/proxies", json={"name": name, "upstream": backends.echo_address})
            deleted = await client.delete(f"/proxies/{name}")
            statuses.update((created.status_code, deleted.status_code))

    async with _async_client(backends) as client:
        await asyncio.gather(*(worker(client, name) for name in names for _ in range(4)))
    return statuses


def test_concurrent_creates_of_one_name_give_one_201(api: httpx.Client, backends: Backends) -> None:
    before = listening_sockets()
    body = {"name": "contended", "listen": "127.0.0.1:0", "upstream": backends.echo_address}
    statuses = asyncio.run(_creates(backends, body))
    assert Counter(statuses) == {201: 1, 409: CONCURRENT - 1}
    assert list(api.get("/proxies").json()) == ["contended"]
    assert len(listening_sockets() - before) == 1
    assert api.delete("/proxies/contended").status_code == 204
    assert listening_sockets() == before


def test_create_delete_storm_leaves_no_listening_socket(api: httpx.Client, backends: Backends) -> None:
    before = listening_sockets()
    statuses = asyncio.run(_storm(backends, [f"storm{i}" for i in range(5)], rounds=10))
    assert set(statuses) <= {201, 409, 204, 404}, statuses
    assert statuses[201] == statuses[204], statuses  # every proxy created was deleted once
    assert api.get("/proxies").json() == {}
    assert listening_sockets() == before


def test_listener_closed_when_a_create_loses_to_a_busy_port(api: httpx.Client, backends: Backends) -> None:
    before = listening_sockets()
    first = api.post("/proxies", json={"name": "holder", "upstream": backends.echo_address}).json()
    busy = api.post("/proxies", json={"name": "second", "listen": first["listen"], "upstream": "127.0.0.1:9"})
    assert busy.status_code == 500
    api.delete("/proxies/holder")
    assert listening_sockets() == before


def test_create_racing_the_server_close_leaves_no_listening_socket() -> None:
    async def scenario() -> tuple[set[str], set[str], list[object]]:
        before = listening_sockets()
        server = await ToxiproxyServer("127.0.0.1", 0).start()
        create = asyncio.ensure_future(server.registry.create({"name": "late", "upstream": "127.0.0.1:9"}))
        await asyncio.sleep(0)  # the create has bound its listener and waits to start serving
        await server.close()
        outcome = await asyncio.gather(create, return_exceptions=True)
        return before, listening_sockets(), outcome

    before, after, outcome = asyncio.run(scenario())
    assert after == before, f"left listening: {after - before} (create answered {outcome})"
