"""Real servers and socket helpers for the chaos tests (loopback only, every wait bounded).

The embedded Toxiproxy, a TCP echo server and a small HTTP upstream run on one asyncio
loop in a background thread; tests drive them with blocking sockets, httpx and
toxiproxy-python from the test thread, as an audit would from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

from readiness_harness.chaos.provider import stop_process
from readiness_harness.chaos.server import ToxiproxyServer
from readiness_harness.chaos.server.http import Request, Response, serve_connection

T = TypeVar("T")
TIMEOUT = 5.0
#: Listen backlog of the test upstreams: bursts of connects through a proxy reach them too.
BACKLOG = 4096


class LoopThread:
    """An asyncio loop running in a daemon thread; ``run`` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        #: What the loop's exception handler was given (errors in callbacks and tasks).
        self.errors: list[str] = []
        self.loop.set_exception_handler(self._record_error)
        self._thread = threading.Thread(target=self.loop.run_forever, name="chaos-loop", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def _record_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        self.errors.append(repr(context.get("exception") or context.get("message")))
        loop.default_exception_handler(context)

    @contextlib.contextmanager
    def frozen(self, limit: float = 2 * TIMEOUT) -> Iterator[Callable[[], None]]:
        """Block the loop (no accepts, no reads) until the block ends or the function it
        gives is called; at most ``limit`` seconds."""
        blocked, release = threading.Event(), threading.Event()

        def block() -> None:
            blocked.set()
            release.wait(limit)

        self.loop.call_soon_threadsafe(block)
        if not blocked.wait(TIMEOUT):
            raise TimeoutError("the loop did not stop to be frozen")
        try:
            yield release.set
        finally:
            release.set()

    def stop(self) -> None:
        self.run(_cancel_other_tasks())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(TIMEOUT)
        self.loop.close()


async def _cancel_other_tasks() -> None:
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


async def _http_upstream(request: Request) -> Response:
    """``/bytes/N`` answers N bytes; anything else answers ``ok``."""
    if request.path.startswith("/bytes/"):
        return Response(200, b"x" * int(request.path.removeprefix("/bytes/")), "application/octet-stream")
    return Response(200, b"ok", "text/plain")


async def _serve_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await serve_connection(reader, writer, _http_upstream)


async def _serve_echo_forever() -> None:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0, backlog=BACKLOG)
    print(_address(server), flush=True)
    await server.serve_forever()


@contextlib.contextmanager
def echo_process() -> Iterator[str]:
    """A TCP echo server in its own process (for timing without sharing this one's GIL)."""
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.chaos.support"],
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().decode().strip()
    finally:
        stop_process(process)


class Backends:
    """Embedded Toxiproxy plus the upstreams the tests proxy to."""

    def __init__(self, loop: LoopThread) -> None:
        self.loop = loop
        self.toxiproxy = loop.run(ToxiproxyServer("127.0.0.1", 0).start())
        self._echo = loop.run(asyncio.start_server(_echo, "127.0.0.1", 0, backlog=BACKLOG))
        self._http = loop.run(asyncio.start_server(_serve_http, "127.0.0.1", 0))
        self._sink = loop.run(asyncio.start_server(self._record, "127.0.0.1", 0))
        self.echo_address = _address(self._echo)
        self.http_address = _address(self._http)
        self.sink_address = _address(self._sink)
        #: What each connection to the sink sent, appended when that connection ends.
        self.received: list[bytes] = []

    async def _record(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = bytearray()
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                data += chunk
        self.received.append(bytes(data))
        writer.close()

    @property
    def url(self) -> str:
        return self.toxiproxy.url

    def close(self) -> None:
        self.loop.run(self._close())

    async def _close(self) -> None:  # on the loop's thread: asyncio objects are not thread-safe
        for server in (self._echo, self._http, self._sink):
            server.close()
        await self.toxiproxy.close()


def _address(server: asyncio.Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    return f"{host}:{port}"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def connect(listen: str, timeout: float = TIMEOUT) -> Iterator[socket.socket]:
    host, _, port = listen.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        yield sock
    finally:
        sock.close()


def round_trip(sock: socket.socket, payload: bytes = b"x") -> float:
    """Send ``payload`` to an echo and wait for all of it back; seconds taken."""
    start = time.perf_counter()
    sock.sendall(payload)
    received = 0
    while received < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed during round trip")
        received += len(chunk)
    return time.perf_counter() - start


def timed_echoes(socks: list[socket.socket], timeout: float = TIMEOUT) -> list[float]:
    """Send one byte on every socket, then time each echo from its send as it arrives."""
    started: dict[socket.socket, float] = {}
    for sock in socks:
        started[sock] = time.perf_counter()
        sock.sendall(b"x")
    elapsed: dict[socket.socket, float] = {}
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while len(elapsed) < len(socks) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                sock = cast(socket.socket, key.fileobj)
                arrived = time.perf_counter()
                if sock.recv(1) != b"x":
                    raise ConnectionError("no echo")
                elapsed[sock] = arrived - started[sock]
                selector.unregister(sock)
    if len(elapsed) < len(socks):
        raise TimeoutError(f"{len(socks) - len(elapsed)} echoes missing after {timeout}s")
    return [elapsed[sock] for sock in socks]


@contextlib.contextmanager
def connections(listen: str, count: int) -> Iterator[list[socket.socket]]:
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(connect(listen)) for _ in range(count)]


def read_until_closed(sock: socket.socket, limit: int = 1 << 24) -> tuple[bytes, int]:
    """Everything the peer sends until it closes, and how many reads it took."""
    data = bytearray()
    reads = 0
    while len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        reads += 1
    return bytes(data), reads


def closed_by_peer(sock: socket.socket) -> bool:
    """True when the peer closed (FIN or RST) before sending anything more."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def wait_for(predicate: Any, timeout: float = TIMEOUT, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


if __name__ == "__main__":
    asyncio.run(_serve_echo_forever())
