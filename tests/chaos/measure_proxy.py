"""Overhead of the embedded Toxiproxy with no toxics: a measurement, not a test.

    python -m tests.chaos.measure_proxy [--round-trips 5000] [--megabytes 200]

Starts the embedded server (subprocess, as the harness does) and an upstream in another
process, then measures on loopback, direct and through a proxy: the 1-byte echo round
trip (p50/p99) and one-way bulk throughput (upstream -> client). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from chaos.provider import start_toxiproxy, stop_process

ROOT = Path(__file__).resolve().parents[2]
BLOCK = b"\0" * (256 * 1024)


async def _upstream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """First byte ``e``: echo. First byte ``s`` + 8-byte length: send that many bytes."""
    mode = await reader.readexactly(1)
    if mode == b"s":
        (remaining,) = struct.unpack("!Q", await reader.readexactly(8))
        while remaining > 0:
            writer.write(BLOCK[: min(remaining, len(BLOCK))])
            remaining -= min(remaining, len(BLOCK))
            await writer.drain()
    else:
        while data := await reader.read(65536):
            writer.write(data)
    writer.close()


async def _serve_upstream() -> None:
    server = await asyncio.start_server(_upstream, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def _connect(port: int, mode: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mode)
    return sock


def echo_latency(port: int, count: int) -> dict[str, float]:
    with _connect(port, b"e") as sock:
        samples = []
        for i in range(count + 200):
            start = time.perf_counter_ns()
            sock.sendall(b"x")
            sock.recv(1)
            if i >= 200:  # warm-up excluded
                samples.append((time.perf_counter_ns() - start) / 1000)
    centiles = statistics.quantiles(samples, n=100)
    return {"p50_us": round(statistics.median(samples), 1), "p99_us": round(centiles[98], 1)}


def throughput(port: int, megabytes: int) -> float:
    total = megabytes * 1_000_000
    with _connect(port, b"s") as sock:
        sock.sendall(struct.pack("!Q", total))
        buffer = bytearray(1 << 20)
        received, start = 0, time.perf_counter()
        while received < total:
            got = sock.recv_into(buffer)
            if not got:
                raise ConnectionError(f"closed after {received} bytes")
            received += got
        return round(total / (time.perf_counter() - start) / 1e6, 1)


def measure(round_trips: int, megabytes: int) -> dict[str, Any]:
    upstream = subprocess.Popen(
        [sys.executable, "-m", "tests.chaos.measure_proxy", "--serve-upstream"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert upstream.stdout is not None
        upstream_port = int(upstream.stdout.readline())
        with start_toxiproxy(env={**os.environ, "PATH": ""}) as toxiproxy:
            body = {"name": "bench", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{upstream_port}"}
            listen = httpx.post(f"{toxiproxy.url}/proxies", json=body).json()["listen"]
            proxy_port = int(listen.rpartition(":")[2])
            direct, proxied = echo_latency(upstream_port, round_trips), echo_latency(proxy_port, round_trips)
            return {
                "server": toxiproxy.version,
                "echo_direct": direct,
                "echo_proxied": proxied,
                "added_p50_us": round(proxied["p50_us"] - direct["p50_us"], 1),
                "added_p99_us": round(proxied["p99_us"] - direct["p99_us"], 1),
                "throughput_direct_MBps": throughput(upstream_port, megabytes),
                "throughput_proxied_MBps": throughput(proxy_port, megabytes),
            }
    finally:
        stop_process(upstream)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        asyncio.run(_serve_upstream())
        return
    print(json.dumps(measure(args.round_trips, args.megabytes), indent=2))


if __name__ == "__main__":
    main()
