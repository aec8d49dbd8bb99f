"""Bytes a client sends before the proxy has dialled its upstream must all arrive.

Standard library and ``chaos.server`` only, so it runs under any interpreter (loopback only,
every wait bounded)::

    PYTHONPATH=. /usr/bin/python3 -m tests.chaos.early_data

first checks in process that a held client ``Side`` reads nothing before it is attached,
then starts ``python -m readiness_harness.chaos.server`` with the same interpreter, creates proxies through
the HTTP API (urllib) to an upstream that accepts slowly, sends data right after
connecting (no sleep) and checks that the upstream received every byte, in order.
``tests/chaos/test_early_data.py`` runs the same helpers under pytest.

The slow upstream listens with a backlog of 0 that a parked connection keeps full, so
the kernel drops the proxy's SYN; the parked connection is released after ``delay`` and
the proxy's connect succeeds on its SYN retransmission (about 1 s later on Linux). All
that time the proxy's client socket is connected and holding the early bytes.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import functools
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from readiness_harness.chaos.server.connection import Side
from readiness_harness.chaos.server.link import Link

TIMEOUT = 5.0


class SlowUpstream:
    """A sink server that accepts slowly and records what each connection sent."""

    def __init__(self, delay: float = 0.2) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self._listener.settimeout(TIMEOUT)
        host, port = self._listener.getsockname()
        self.address = f"{host}:{port}"
        self._parked = socket.create_connection((host, port), timeout=TIMEOUT)
        self._delay = delay
        #: When the parked connection left the queue (``time.monotonic()``).
        self.released_at = float("inf")
        self._expected: queue.Queue[int] = queue.Queue()
        self._received: queue.Queue[bytes] = queue.Queue()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def received(self, expected: int) -> bytes:
        """What the next connection sent: ``expected`` bytes, or less at EOF or timeout."""
        self._expected.put(expected)
        return self._received.get(timeout=2 * TIMEOUT)

    def _serve(self) -> None:
        time.sleep(self._delay)
        with contextlib.suppress(OSError):
            parked, _ = self._listener.accept()
            self.released_at = time.monotonic()
            parked.close()
            conn, _ = self._listener.accept()
            with conn:
                self._received.put(_read(conn, self._expected.get(timeout=2 * TIMEOUT)))

    def close(self) -> None:
        self._parked.close()
        self._listener.close()
        self._thread.join(TIMEOUT)


def _read(conn: socket.socket, expected: int) -> bytes:
    conn.settimeout(TIMEOUT)
    chunks: list[bytes] = []
    size = 0
    with contextlib.suppress(OSError):
        while size < expected:
            chunk = conn.recv(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)


@functools.cache
def payload(size: int) -> bytes:
    """Distinct, position-dependent bytes: a lost, reordered or repeated chunk shows."""
    return array.array("I", range(size // 4 + 1)).tobytes()[:size]


def send_early(listen: str, upstream: SlowUpstream, data: bytes, *, eof: bool) -> bytes:
    """Connect to the proxy, send ``data`` at once, return what the upstream got.

    Raises RuntimeError when the upstream was already accepting at connect time (the
    proxy's dial was then fast and the run proves nothing about early bytes).
    """
    host, _, port = listen.rpartition(":")
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as sock:
        connected_at = time.monotonic()
        sender = threading.Thread(target=_send, args=(sock, data, eof), daemon=True)
        sender.start()  # a big payload blocks until the upstream is connected and reading
        received = upstream.received(len(data))
        sender.join(TIMEOUT)
    if upstream.released_at <= connected_at:
        raise RuntimeError("the slow upstream was released before the client connected")
    return received


def _send(sock: socket.socket, data: bytes, eof: bool) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)
        if eof:
            sock.shutdown(socket.SHUT_WR)


# -- a held client side, in process ---------------------------------------------------------


class _Collector(asyncio.Transport):
    """Destination of a link under test: keeps what is written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def write(self, data: Any) -> None:
        self.data += data

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def held_side(data: bytes, *, wait: float = 0.1) -> tuple[int, bytes]:
    """Accept a connection with a held ``Side`` and send ``data`` at once.

    Returns how many bytes the side read while held (0 when the pause is effective) and
    everything its outbound link forwarded once attached ``wait`` seconds later.
    """
    loop = asyncio.get_running_loop()
    made: asyncio.Future[Side] = loop.create_future()

    def on_made(side: Side) -> None:
        side.hold()
        made.set_result(side)

    server = await loop.create_server(lambda: Side(on_made), "127.0.0.1", 0)
    host, port = server.sockets[0].getsockname()[:2]
    _, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        side = await asyncio.wait_for(made, TIMEOUT)
        await asyncio.sleep(wait)
        read_while_held = side.pending
        assert side.transport is not None
        collector = _Collector()
        side.attach(
            Link(loop=loop, source=side.transport, dest=collector),
            Link(loop=loop, source=collector, dest=side.transport),
        )
        deadline = loop.time() + TIMEOUT
        while len(collector.data) < len(data) and loop.time() < deadline:
            await asyncio.sleep(0.01)
        side.transport.close()
        return read_while_held, bytes(collector.data)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


# -- standalone run against a ``python -m readiness_harness.chaos.server`` subprocess ------------------------


@contextlib.contextmanager
def server_process() -> Iterator[str]:
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "readiness_harness.chaos.server", "--port", "0", "--exit-on-stdin-eof"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(root)},
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip().rpartition(" ")[2]
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(TIMEOUT)


def create_proxy(url: str, name: str, upstream: str) -> str:
    body = json.dumps({"name": name, "listen": "127.0.0.1:0", "upstream": upstream}).encode()
    request = urllib.request.Request(f"{url}/proxies", data=body, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an env proxy
    with opener.open(request, timeout=TIMEOUT) as response:
        return str(json.load(response)["listen"])


CASES = [("small", 64, False), ("small+eof", 64, True), ("4 MiB", 4 << 20, False), ("4 MiB+eof", 4 << 20, True)]


def main() -> int:
    print(f"python {sys.version.split()[0]} ({sys.executable})")
    failures = 0
    data = payload(64)
    read_while_held, forwarded = asyncio.run(held_side(data))
    ok = read_while_held == 0 and forwarded == data
    failures += not ok
    print(f"  held side: read {read_while_held} while held, forwarded {len(forwarded)} {'OK' if ok else 'FAIL'}")
    with server_process() as url:
        for index, (label, size, eof) in enumerate(CASES):
            data = payload(size)
            upstream = SlowUpstream()
            try:
                listen = create_proxy(url, f"early{index}", upstream.address)
                started = time.monotonic()
                got = send_early(listen, upstream, data, eof=eof)
                seconds = time.monotonic() - started
            finally:
                upstream.close()
            ok = got == data
            failures += not ok
            print(f"{label:>10}: sent {len(data)} received {len(got)} in {seconds:.2f}s {'OK' if ok else 'LOST'}")
    print("PASS" if not failures else f"FAIL ({failures} of {len(CASES) + 1})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
