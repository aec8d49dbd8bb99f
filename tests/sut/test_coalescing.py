"""Cache misses are coalesced per key and hot entries are refreshed ahead of expiry.

Over HTTP against real processes: the upstream stand-in's GET /control call counter says how
many fetches reached the provider. SingleFlight itself is tested in process.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest

from readiness_harness.system_under_test.singleflight import SingleFlight
from tests.sut.conftest import Api, ApiFactory, Upstreams, random_address

CONCURRENT_MISSES = 12
UPSTREAM_DELAY_MS = 200  # below the test read timeout (0.3 s), long enough for every miss to overlap


def metric(api: Api, name: str) -> float:
    with api.client() as client:
        text = client.get("/metrics").text
    values = [line.split()[1] for line in text.splitlines() if line.startswith(f"{name} ")]
    assert values, f"{name} not exported"
    return float(values[0])


def concurrent_reads(api: Api, address: str, count: int) -> list[httpx.Response]:
    """``count`` reads of one wallet, released together."""
    barrier = threading.Barrier(count)

    def read(_: int) -> httpx.Response:
        with api.client() as client:
            barrier.wait(timeout=10)
            return client.get(f"/v1/wallets/ethereum/{address}/portfolio")

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(read, range(count)))


def assert_misses_coalesced(api: Api, upstreams: Upstreams) -> None:
    upstreams.primary.fault(fault="delay", delay_ms=UPSTREAM_DELAY_MS, count=-1)
    responses = concurrent_reads(api, random_address(), CONCURRENT_MISSES)
    assert [r.status_code for r in responses] == [200] * CONCURRENT_MISSES
    assert {r.json()["source"] for r in responses} == {"primary"}
    assert len({r.json()["fetched_at"] for r in responses}) == 1, "every caller got the one fetch's answer"
    assert upstreams.primary.stats()["calls"] == 1, "concurrent misses for one key reached upstream more than once"
    assert metric(api, "cache_misses_total") == 1
    assert metric(api, "cache_coalesced_total") == CONCURRENT_MISSES - 1
    assert metric(api, "cache_hits_total") == 0


def test_concurrent_misses_share_one_upstream_fetch(api_factory: ApiFactory, upstreams: Upstreams) -> None:
    assert_misses_coalesced(api_factory.start(), upstreams)


def test_no_cache_defect_neither_caches_nor_coalesces(api_factory: ApiFactory, upstreams: Upstreams) -> None:
    api = api_factory.start(defects=("no_cache",))
    upstreams.primary.fault(fault="delay", delay_ms=UPSTREAM_DELAY_MS, count=-1)
    responses = concurrent_reads(api, random_address(), 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert upstreams.primary.stats()["calls"] == 4
    assert metric(api, "cache_coalesced_total") == 0


def test_a_failed_fetch_fails_every_waiter_and_the_next_read_tries_again(
        api_factory: ApiFactory, upstreams: Upstreams) -> None:
    api = api_factory.start(env={"UPSTREAM_RETRIES": "0", "UPSTREAM_FALLBACK_URL": ""})
    upstreams.primary.fault(fault="delay", delay_ms=600, count=1)  # past the 0.3 s read timeout
    address = random_address()
    responses = concurrent_reads(api, address, 4)
    assert [r.status_code for r in responses] == [503] * 4
    assert upstreams.primary.stats()["calls"] == 1
    assert api.portfolio(address).status_code == 200, "a failed flight must not stick to the key"
    assert upstreams.primary.stats()["calls"] == 2


def test_hot_entries_are_refreshed_before_they_expire(api_factory: ApiFactory, upstreams: Upstreams) -> None:
    # Refresh ahead after 7 s; expiry after 8 to 10 s. The read at 7.2 s has 0.8 s of slack before the
    # earliest expiry, so a busy machine delaying it does not turn the refresh into a miss.
    api = api_factory.start(env={"CACHE_TTL_S": "10"})
    address = random_address()
    first = api.portfolio(address).json()
    time.sleep(7.2)
    due = api.portfolio(address).json()
    assert due["source"] == "cache" and due["fetched_at"] == first["fetched_at"], "answered at once, from the cache"
    deadline = time.monotonic() + 2
    while upstreams.primary.stats()["calls"] < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)  # the refreshed entry is stored right after the upstream answer
    refreshed = api.portfolio(address).json()
    assert refreshed["source"] == "cache", "a refreshed entry answers without a miss"
    assert fetched_at(refreshed) > fetched_at(first)
    assert upstreams.primary.stats()["calls"] == 2
    assert metric(api, "cache_refreshes_total") == 1 and metric(api, "cache_misses_total") == 1


def fetched_at(body: dict[str, str]) -> datetime:
    return datetime.fromisoformat(body["fetched_at"])


def test_single_flight_runs_work_once_per_key_and_frees_the_key() -> None:
    flights: SingleFlight[int] = SingleFlight()
    calls = 0

    async def work() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return calls

    async def scenario() -> None:
        assert await asyncio.gather(*(flights.do("k", work) for _ in range(10))) == [1] * 10
        assert "k" not in flights and len(flights) == 0
        assert await flights.do("k", work) == 2

    asyncio.run(scenario())


def test_single_flight_shares_failures_and_survives_a_cancelled_caller() -> None:
    flights: SingleFlight[str] = SingleFlight()

    async def failing() -> str:
        await asyncio.sleep(0.02)
        raise ValueError("upstream said no")

    async def slow() -> str:
        await asyncio.sleep(0.05)
        return "done"

    async def scenario() -> None:
        results = await asyncio.gather(*(flights.do("a", failing) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, ValueError) for r in results)
        leader = asyncio.create_task(flights.do("b", slow))
        await asyncio.sleep(0)
        waiter = asyncio.create_task(flights.do("b", slow))
        await asyncio.sleep(0.01)
        leader.cancel()
        assert await waiter == "done", "cancelling one caller must not cancel the shared work"
        with pytest.raises(asyncio.CancelledError):
            await leader

    asyncio.run(scenario())
