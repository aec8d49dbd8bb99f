"""Added latency, throughput and connect bursts through the fault proxy (embedded, and a real
one when on PATH), and the accuracy of the latency toxic.

Every figure is measured in ``Settings.samples`` samples and reported as
``{"median", "min", "max"}`` over them. Within a sample, direct and proxied measurements
alternate (round trips are paired: one direct, one proxied, back to back, who goes first
alternating), so a busy machine slows both alike. "Added" latency is taken from the
per-pair differences: added p99 is the 99th percentile of (proxied - direct) per pair,
never the difference of two 99th percentiles. Every wait is bounded: a peer that closes
or stalls ends the measurement with an error, never a hang or an endless loop.
"""

from __future__ import annotations

import asyncio
import os
import selectors
import shutil
import socket
import statistics
import struct
import time
from dataclasses import dataclass
from typing import Any

from bench.servers import HTTP_RESPONSE, Server
from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.provider import start_toxiproxy

TIMEOUT = 10.0  # seconds any single read, write or connect may wait
WARMUP = 50
GET = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


@dataclass(frozen=True)
class Settings:
    samples: int = 5
    round_trips: int = 2000  # pairs per sample
    megabytes: int = 256
    burst: int = 600
    toxic_round_trips: int = 20  # pairs per sample through the 100 ms latency toxic


def _connect(port: int, timeout: float = TIMEOUT) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _read(sock: socket.socket, count: int) -> bytes:
    """Exactly ``count`` bytes; ConnectionError when the peer closes first."""
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(max(65536, count - len(data)))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(data)} of {count} bytes")
        data += chunk
    return bytes(data)


def _exchange(sock: socket.socket, payload: bytes, expect: int) -> float:
    """Send, read ``expect`` bytes back; microseconds taken."""
    started = time.perf_counter_ns()
    sock.sendall(payload)
    _read(sock, expect)
    return (time.perf_counter_ns() - started) / 1000


def round_trips(port: int, *, payload: bytes, expect: int, count: int, timeout: float = TIMEOUT) -> list[float]:
    """Microseconds per request/response on one connection, after a warm-up."""
    with _connect(port, timeout) as sock:
        for _ in range(WARMUP):
            _exchange(sock, payload, expect)
        return [_exchange(sock, payload, expect) for _ in range(count)]


def paired_round_trips(
    direct: int, proxied: int, *, payload: bytes, expect: int, count: int, timeout: float = TIMEOUT
) -> tuple[list[float], list[float]]:
    """``count`` pairs of round trips, one direct and one proxied back to back (order alternating)."""
    with _connect(direct, timeout) as d, _connect(proxied, timeout) as p:
        for _ in range(min(WARMUP, count)):
            _exchange(d, payload, expect), _exchange(p, payload, expect)
        pairs = []
        for i in range(count):
            if i % 2:
                proxy_us = _exchange(p, payload, expect)
                pairs.append((_exchange(d, payload, expect), proxy_us))
            else:
                pairs.append((_exchange(d, payload, expect), _exchange(p, payload, expect)))
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]


def throughput(port: int, *, megabytes: int = 256, timeout: float = TIMEOUT) -> float:
    """One-way MB/s into the sink, up to the sink's confirmation that it received every byte.

    The size goes first; the sink answers its byte count once it has them all. Nothing
    depends on a half-close, which Toxiproxy turns into a full close of the upstream.
    """
    total = megabytes << 20
    block = b"x" * (1 << 20)
    with _connect(port, timeout) as sock:
        started = time.perf_counter()
        sock.sendall(struct.pack("!Q", total))
        for _ in range(megabytes):
            sock.sendall(block)
        (received,) = struct.unpack("!Q", _read(sock, 8))
        elapsed = time.perf_counter() - started
    if received != total:
        raise ConnectionError(f"sink received {received} of {total} bytes")
    return megabytes / elapsed


def connect_burst(port: int, *, count: int, timeout: float = TIMEOUT) -> dict[str, float]:
    """Start ``count`` connects back to back; per socket, ms until connected and until a byte echoes."""
    socks, started, connected, echoed = [], {}, {}, {}
    with selectors.DefaultSelector() as selector:
        try:
            for _ in range(count):
                sock = socket.socket()
                socks.append(sock)
                sock.setblocking(False)
                started[sock] = time.perf_counter()
                sock.connect_ex(("127.0.0.1", port))
                selector.register(sock, selectors.EVENT_WRITE)
            deadline = time.monotonic() + timeout
            while len(echoed) < count and time.monotonic() < deadline:
                for key, _ in selector.select(timeout=0.05):
                    _burst_event(key.fileobj, selector, started, connected, echoed)  # type: ignore[arg-type]
        finally:
            for sock in socks:
                sock.close()
    connect_ms = sorted(connected.values())
    return {"slowest_connect_ms": max(connect_ms, default=timeout * 1000),
            "p50_connect_ms": percentile(connect_ms, 0.5) if connect_ms else timeout * 1000,
            "connects_over_900ms": sum(ms > 900 for ms in connect_ms) + count - len(connect_ms),
            "slowest_echo_ms": max(echoed.values(), default=timeout * 1000) if len(echoed) == count else timeout * 1000,
            "incomplete": count - len(echoed)}  # fmt: skip


def _burst_event(sock: socket.socket, selector: selectors.BaseSelector, started: dict[socket.socket, float],
                 connected: dict[socket.socket, float], echoed: dict[socket.socket, float]) -> None:
    now = time.perf_counter()
    if sock not in connected:
        selector.unregister(sock)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            connected[sock] = (now - started[sock]) * 1000
            sock.send(b"x")
            selector.register(sock, selectors.EVENT_READ)
        return
    selector.unregister(sock)
    if sock.recv(1) == b"x":
        echoed[sock] = (now - started[sock]) * 1000


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))]


def summary(direct: list[float], proxied: list[float]) -> dict[str, float]:
    """Both distributions, and the added latency from the per-pair differences."""
    added = [p - d for d, p in zip(direct, proxied, strict=True)]
    return {"direct_p50_us": statistics.median(direct), "direct_p99_us": percentile(direct, 0.99),
            "proxy_p50_us": statistics.median(proxied), "proxy_p99_us": percentile(proxied, 0.99),
            "added_p50_us": statistics.median(added), "added_p99_us": percentile(added, 0.99)}  # fmt: skip


def spread(values: list[float], digits: int = 1) -> dict[str, float]:
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits)}  # fmt: skip


def combine(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Samples of the same nested figures into one tree whose leaves are ``spread``s."""
    first = samples[0]
    if not isinstance(first, dict):
        return spread([float(sample) for sample in samples], digits=3)
    return {key: combine([sample[key] for sample in samples]) for key in first}


@dataclass(frozen=True)
class Ports:
    echo: int
    http: int
    sink: int
    proxy_echo: int
    proxy_http: int
    proxy_sink: int
    proxy_slow: int  # to the echo through a 100 ms latency toxic


def one_sample(ports: Ports, settings: Settings, index: int) -> dict[str, Any]:
    """Every figure once, direct and proxied alternating."""
    n = settings.round_trips
    echo = paired_round_trips(ports.echo, ports.proxy_echo, payload=b"x", expect=1, count=n)
    http = paired_round_trips(ports.http, ports.proxy_http, payload=GET, expect=len(HTTP_RESPONSE), count=n)
    order = [("direct", ports.sink), ("proxy", ports.proxy_sink)]
    rates = {kind: throughput(port, megabytes=settings.megabytes) for kind, port in order[:: 1 if index % 2 else -1]}
    direct, slow = paired_round_trips(ports.echo, ports.proxy_slow, payload=b"x", expect=1,
                                      count=settings.toxic_round_trips)
    added_ms = [(s - d) / 1000 for d, s in zip(direct, slow, strict=True)]
    bursts = {kind: connect_burst(port, count=settings.burst) for kind, port in
              [("direct", ports.echo), ("proxy", ports.proxy_echo)][:: 1 if index % 2 else -1]}
    return {
        "echo_1byte": summary(*echo),
        "http_get": summary(*http),
        "throughput_direct_mb_s": rates["direct"],
        "throughput_proxy_mb_s": rates["proxy"],
        "latency_toxic_100ms": {"median_ms": statistics.median(slow) / 1000, "p99_ms": percentile(slow, 0.99) / 1000,
                                "median_error_ms": statistics.median(added_ms) - 100},
        f"connect_burst_{settings.burst}": bursts,
    }  # fmt: skip


async def _proxies(client: ToxiproxyClient, echo: int, http: int, sink: int) -> Ports:
    async def proxy(name: str, port: int) -> int:
        return (await client.create_proxy(name, upstream=f"127.0.0.1:{port}")).port

    slow = await proxy("echo_slow", echo)
    await client.add_toxic("echo_slow", type="latency", attributes={"latency": 100}, name="bench-latency")
    return Ports(echo=echo, http=http, sink=sink, proxy_echo=await proxy("echo", echo),
                 proxy_http=await proxy("http", http), proxy_sink=await proxy("sink", sink), proxy_slow=slow)


async def _measure(url: str, echo: int, http: int, sink: int, settings: Settings) -> dict[str, Any]:
    async with ToxiproxyClient(url) as client:
        ports = await _proxies(client, echo, http, sink)
    return combine([one_sample(ports, settings, index) for index in range(settings.samples)])


def measure_server(kind: str, settings: Settings | None = None) -> dict[str, Any]:
    """Every proxy figure for one server kind ("embedded" or "real")."""
    settings = settings or Settings()
    env = {k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}
    if kind == "embedded":
        env["PATH"] = ""  # never pick up a real toxiproxy-server for the embedded figures
    handle = start_toxiproxy(env=env)
    try:
        with Server("echo") as echo, Server("http") as http, Server("sink") as sink:
            figures = asyncio.run(_measure(handle.url, echo, http, sink, settings))
    finally:
        handle.close()
    return {"version": handle.version, "samples": settings.samples, **figures}


def run() -> dict[str, Any]:
    out: dict[str, Any] = {"embedded": measure_server("embedded")}
    if shutil.which("toxiproxy-server"):
        out["real"] = measure_server("real")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
