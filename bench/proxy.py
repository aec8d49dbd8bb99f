"""Added latency and throughput of the fault proxy (embedded, and a real one when on PATH),
and the accuracy of the latency toxic."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import statistics
import time
from typing import Any

from bench.servers import HTTP_RESPONSE, Server
from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.provider import start_toxiproxy


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trips(port: int, *, payload: bytes, expect: int, count: int) -> list[float]:
    """Microseconds per request/response on one connection (after a short warm-up)."""
    out = []
    with _connect(port) as sock:
        for n in range(count + 50):
            started = time.perf_counter_ns()
            sock.sendall(payload)
            got = 0
            while got < expect:
                got += len(sock.recv(65536))
            if n >= 50:
                out.append((time.perf_counter_ns() - started) / 1000)
    return out


def throughput(port: int, *, megabytes: int = 256) -> float:
    """One-way MB/s into a sink."""
    block = b"x" * (1 << 20)
    with _connect(port) as sock:
        started = time.perf_counter()
        for _ in range(megabytes):
            sock.sendall(block)
        sock.shutdown(socket.SHUT_WR)
        sock.recv(64)
        return megabytes / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(direct: list[float], proxied: list[float]) -> dict[str, float]:
    return {
        "direct_p50_us": round(statistics.median(direct), 1), "direct_p99_us": round(percentile(direct, 0.99), 1),
        "proxy_p50_us": round(statistics.median(proxied), 1), "proxy_p99_us": round(percentile(proxied, 0.99), 1),
        "added_p50_us": round(statistics.median(proxied) - statistics.median(direct), 1),
        "added_p99_us": round(percentile(proxied, 0.99) - percentile(direct, 0.99), 1),
    }


async def _proxy(client: ToxiproxyClient, name: str, port: int) -> int:
    created = await client.create_proxy(name, upstream=f"127.0.0.1:{port}")
    return created.port


def measure_server(kind: str, *, count: int = 3000) -> dict[str, Any]:
    """Every proxy figure for one server kind ("embedded" or "real")."""
    env = {k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}
    if kind == "embedded":
        env["PATH"] = ""  # never pick up a real toxiproxy-server for the embedded figures
    handle = start_toxiproxy(env=env)
    try:
        with Server("echo") as echo, Server("http") as http, Server("sink") as sink:
            return asyncio.run(_measure(handle.url, handle.version, echo, http, sink, count))
    finally:
        handle.close()


async def _measure(url: str, version: str, echo: int, http: int, sink: int, count: int) -> dict[str, Any]:
    async with ToxiproxyClient(url) as client:
        p_echo = await _proxy(client, "echo", echo)
        p_http = await _proxy(client, "http", http)
        p_sink = await _proxy(client, "sink", sink)
        get = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
        result: dict[str, Any] = {"version": version}
        result["echo_1byte"] = _summary(round_trips(echo, payload=b"x", expect=1, count=count),
                                        round_trips(p_echo, payload=b"x", expect=1, count=count))
        result["http_get"] = _summary(round_trips(http, payload=get, expect=len(HTTP_RESPONSE), count=count),
                                      round_trips(p_http, payload=get, expect=len(HTTP_RESPONSE), count=count))
        result["throughput_direct_mb_s"] = round(throughput(sink), 1)
        result["throughput_proxy_mb_s"] = round(throughput(p_sink), 1)
        await client.add_toxic("echo", type="latency", attributes={"latency": 100}, name="bench-latency")
        direct = statistics.median(round_trips(echo, payload=b"x", expect=1, count=100))
        toxic = round_trips(p_echo, payload=b"x", expect=1, count=200)
        result["latency_toxic_100ms"] = {
            "median_ms": round(statistics.median(toxic) / 1000, 3), "p99_ms": round(percentile(toxic, 0.99) / 1000, 3),
            "median_error_ms": round((statistics.median(toxic) - direct) / 1000 - 100, 3),
        }
        return result


def run() -> dict[str, Any]:
    out: dict[str, Any] = {"embedded": measure_server("embedded")}
    if shutil.which("toxiproxy-server"):
        out["real"] = measure_server("real")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
