"""Each toxic's measured effect on real loopback connections through the embedded proxy."""

from __future__ import annotations

import os
import socket
import statistics
import time
from pathlib import Path

import httpx
import pytest

from readiness_harness.chaos.provider import start_toxiproxy
from tests.chaos.conftest import ProxyFactory, add_toxic
from tests.chaos.support import (
    Backends,
    connect,
    connections,
    echo_process,
    read_until_closed,
    round_trip,
    timed_echoes,
    wait_for,
)


def test_latency_adds_delay_both_streams(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    with connect(proxy["listen"]) as sock:
        baseline = round_trip(sock)
        add_toxic(api, proxy["name"], "latency", attributes={"latency": 100})
        add_toxic(api, proxy["name"], "latency", stream="upstream", attributes={"latency": 50})
        delayed = [round_trip(sock) for _ in range(3)]
    assert baseline < 0.1
    assert all(0.1495 <= seconds < 0.3 for seconds in delayed), delayed


def test_latency_toxic_is_accurate_at_the_median(tmp_path: Path) -> None:
    """100 ms of latency adds 100 ms +/- 2 ms at the median of 200 requests.

    The server and the echo run in their own processes (as in an audit). Each round of
    10 requests through the toxic is paired with a round through a proxy without toxics
    to the same echo, so load on the machine shifts both alike; the added delay is the
    median over the 20 rounds of the difference between the paired round medians.
    """
    env = {**os.environ, "PATH": str(tmp_path)}
    with echo_process() as echo, start_toxiproxy(env=env) as toxiproxy, httpx.Client() as api:
        api.base_url = httpx.URL(toxiproxy.url)
        plain = api.post("/proxies", json={"name": "plain", "upstream": echo}).json()
        slow = api.post("/proxies", json={"name": "slow", "upstream": echo}).json()
        add_toxic(api, "slow", "latency", attributes={"latency": 100})
        samples: list[float] = []
        added_per_round: list[float] = []
        with connections(plain["listen"], 10) as plain_socks, connections(slow["listen"], 10) as slow_socks:
            for _ in range(20):
                baseline = timed_echoes(plain_socks)
                delayed = timed_echoes(slow_socks)
                samples += delayed
                added_per_round.append(statistics.median(delayed) - statistics.median(baseline))
    added = statistics.median(added_per_round)
    assert len(samples) == 200 and min(samples) >= 0.0995
    assert abs(added - 0.100) <= 0.002, f"median added {added * 1000:.2f} ms"


def test_latency_jitter_stays_in_range(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    """30 +/- 10 ms: never below 20 ms, and both sides of 30 ms are seen over 120 requests.

    The rounds are spaced out so that one stall of a busy machine cannot hide the jitter.
    """
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "latency", attributes={"latency": 30, "jitter": 10})
    samples: list[float] = []
    with connections(proxy["listen"], 20) as socks:
        for _ in range(6):
            samples += timed_echoes(socks)
            time.sleep(0.05)
    assert min(samples) >= 0.0195, samples
    assert min(samples) < 0.028 and max(samples) > 0.032, samples
    assert statistics.median(samples) < 0.06, samples


def test_bandwidth_caps_throughput(api: httpx.Client, make_proxy: ProxyFactory, backends: Backends) -> None:
    proxy = make_proxy(upstream=backends.http_address)
    url = f"http://{proxy['listen']}/bytes/100000"
    with httpx.Client(timeout=5) as http:
        start = time.perf_counter()
        assert len(http.get(url).content) == 100_000
        direct = time.perf_counter() - start
        add_toxic(api, proxy["name"], "bandwidth", attributes={"rate": 200})  # 200 KB/s
        start = time.perf_counter()
        assert len(http.get(url, headers={"Connection": "close"}).content) == 100_000
        capped = time.perf_counter() - start
    assert direct < 0.3
    assert 0.45 <= capped <= 1.2, capped  # 100 kB at 200 kB/s: 0.5 s


def test_slow_close_delays_the_close(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "slow_close", attributes={"delay": 300})
    with connect(proxy["listen"]) as sock:
        assert round_trip(sock, b"hello") < 0.2  # data is not delayed
        start = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
        elapsed = time.perf_counter() - start
    assert 0.29 <= elapsed < 0.8, elapsed


def test_timeout_drops_data_then_closes(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "timeout", attributes={"timeout": 300})
    with connect(proxy["listen"]) as sock:
        time.sleep(0.15)
        start = time.perf_counter()
        sock.sendall(b"dropped")  # its echo restarts the timer
        data, _ = read_until_closed(sock)
        elapsed = time.perf_counter() - start
    assert data == b""
    assert 0.29 <= elapsed < 0.8, elapsed


def test_timeout_zero_holds_until_removed(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "timeout", name="hold", attributes={"timeout": 0})
    with connect(proxy["listen"], timeout=0.5) as sock:
        sock.sendall(b"anyone?")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        sock.settimeout(5)
        assert api.delete(f"/proxies/{proxy['name']}/toxics/hold").status_code == 204
        start = time.perf_counter()
        assert sock.recv(10) == b""
        assert time.perf_counter() - start < 1.0


def test_reset_peer_resets_the_connection(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "reset_peer", attributes={"timeout": 100})
    with connect(proxy["listen"]) as sock:
        start = time.perf_counter()
        sock.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
        elapsed = time.perf_counter() - start
    assert 0.095 <= elapsed < 0.6, elapsed


def test_slicer_splits_into_small_reads(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "slicer", attributes={"average_size": 10, "size_variation": 4, "delay": 10_000})
    payload = bytes(range(150)) * 2
    with connect(proxy["listen"]) as sock:
        sock.sendall(payload)
        chunks: list[bytes] = []
        while sum(map(len, chunks)) < len(payload):
            chunks.append(sock.recv(65536))
    assert b"".join(chunks) == payload
    assert len(chunks) >= 15, len(chunks)
    assert statistics.median(map(len, chunks)) <= 14  # a slow reader may merge a few slices


def test_limit_data_closes_after_n_bytes(api: httpx.Client, make_proxy: ProxyFactory) -> None:
    proxy = make_proxy()
    add_toxic(api, proxy["name"], "limit_data", attributes={"bytes": 100})
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"a" * 60)
        time.sleep(0.05)
        sock.sendall(b"b" * 60)
        data, _ = read_until_closed(sock)
    assert data == b"a" * 60 + b"b" * 40


def test_limit_data_upstream(api: httpx.Client, make_proxy: ProxyFactory, backends: Backends) -> None:
    proxy = make_proxy(upstream=backends.sink_address)
    add_toxic(api, proxy["name"], "limit_data", stream="upstream", attributes={"bytes": 5})
    backends.received.clear()
    with connect(proxy["listen"]) as sock:
        sock.sendall(b"0123456789")
        data, _ = read_until_closed(sock)
    assert data == b""
    assert wait_for(lambda: backends.received == [b"01234"]), backends.received


def test_bulk_transfer_through_latency_is_complete(
    api: httpx.Client, make_proxy: ProxyFactory, backends: Backends
) -> None:
    """Flow control with a queue: 8 MB through a 20 ms latency toxic arrives whole, pipelined."""
    proxy = make_proxy(upstream=backends.http_address)
    add_toxic(api, proxy["name"], "latency", attributes={"latency": 20})
    add_toxic(api, proxy["name"], "latency", name="up", stream="upstream", attributes={"latency": 20})
    with httpx.Client(timeout=10) as http:
        start = time.perf_counter()
        body = http.get(f"http://{proxy['listen']}/bytes/8000000").content
        elapsed = time.perf_counter() - start
    assert len(body) == 8_000_000
    assert elapsed < 5.0, elapsed
