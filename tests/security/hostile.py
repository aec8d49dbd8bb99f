"""Hostile HTTP servers on loopback, misbehaving on purpose, for tests and the memory benchmark.

Each server is a plain asyncio socket server in a thread of the test (or benchmark) process, with
full control over the bytes it writes: an early 413 followed by a reset, JSON with a lone
surrogate, a 500 MB answer, a gzip bomb, a million metric series. Payloads come from generators,
never from files; the gzip bomb repeats one precomputed compressed block.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

MIB = 1024 * 1024


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[Request, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def head(status: int, headers: Mapping[str, str | int], reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    first, *lines = raw.decode("latin-1").split("\r\n")
    method, path, _ = first.split(" ", 2)
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
    return Request(method, path, headers)


async def drain_body(request: Request, reader: asyncio.StreamReader) -> bytes:
    size = int(request.headers.get("content-length", "0"))
    return await reader.readexactly(size) if size else b""


async def answer(writer: asyncio.StreamWriter, status: int, body: bytes,
                 content_type: str = "application/json", **extra: str) -> None:
    writer.write(head(status, {"Content-Type": content_type, "Content-Length": len(body), "Connection": "close",
                               **{k.replace("_", "-"): v for k, v in extra.items()}}) + body)
    await writer.drain()


# Handlers ------------------------------------------------------------------------------------------


async def early_413(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer 413 from the headers alone, then close without reading the body: the kernel resets."""
    await answer(writer, 413, b'{"error": {"code": "PAYLOAD_TOO_LARGE"}}')
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def reset_without_answer(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reset the connection without any answer while the body is still coming."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def lone_surrogate(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await drain_body(request, reader)
    await answer(writer, 200, b'{"name": "\\ud800", "nested": {"list": ["a\\udfffb"]}, "status": "\\ud800"}')


CONTROL_TEXT = ("\x1b[31mRED\x1b[0m\x00\x07\x08 ![pwned](https://evil.example/x.png) "
                "[click me](https://evil.example/a) @octocat <img src=x onerror=alert(1)> https://evil.example/b "
                "www.evil.example &#64;admin #12")


async def control_chars(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    import json

    await drain_body(request, reader)
    await answer(writer, 200, json.dumps({"status": CONTROL_TEXT}).encode(), X_Evil=CONTROL_TEXT.encode(
        "ascii", "ignore").decode().replace("\r", "").replace("\n", "").replace("\x00", ""))


def big_body(size: int, *, content_type: str = "application/json") -> Handler:
    """``size`` bytes of a JSON string, written in 1 MiB pieces."""
    async def handler(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await drain_body(request, reader)
        writer.write(head(200, {"Content-Type": content_type, "Content-Length": size, "Connection": "close"}))
        await _write_pieces(writer, _filler(size))
    return handler


def _filler(size: int) -> Iterator[bytes]:
    if size < 4:
        yield b"x" * size
        return
    yield b'"'
    left = size - 2
    piece = b"x" * MIB
    while left > 0:
        yield piece[: min(left, MIB)]
        left -= min(left, MIB)
    yield b'"'


def gzip_bomb(size: int) -> Handler:
    """``size`` bytes of zeros once decompressed, sent as a few MB of gzip."""
    async def handler(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await drain_body(request, reader)
        first, repeated, blocks, tail = _bomb_parts(size)
        length = len(first) + len(repeated) * (blocks - 1) + len(tail)
        writer.write(head(200, {"Content-Type": "application/json", "Content-Encoding": "gzip",
                                "Content-Length": length, "Connection": "close"}))
        await _write_pieces(writer, _bomb_pieces(first, repeated, blocks, tail))
    return handler


@lru_cache(maxsize=4)
def _bomb_parts(size: int) -> tuple[bytes, bytes, int, bytes]:
    """A gzip stream of ``size`` zero bytes: a first block, one block repeated, and the trailer.

    A full flush makes every later block independent of the ones before, so the same bytes can be
    repeated; the trailer's CRC is computed for the whole decompressed size."""
    block = bytes(MIB)
    blocks = max(1, size // MIB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(blocks):
        crc = zlib.crc32(block, crc)
    tail = b"\x03\x00" + struct.pack("<II", crc, (blocks * MIB) & 0xFFFFFFFF)  # an empty final block
    return first, repeated, blocks, tail


def _bomb_pieces(first: bytes, repeated: bytes, blocks: int, tail: bytes) -> Iterator[bytes]:
    yield first
    batch = repeated * 64
    left = blocks - 1
    while left > 0:
        count = min(left, 64)
        yield batch if count == 64 else repeated * count
        left -= count
    yield tail


def metric_series(count: int) -> Handler:
    """A Prometheus exposition with one gauge family of ``count`` series."""
    async def handler(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await drain_body(request, reader)
        writer.write(head(200, {"Content-Type": "text/plain; version=0.0.4", "Connection": "close"}))
        await _write_pieces(writer, _series(count))
    return handler


def _series(count: int) -> Iterator[bytes]:
    yield b"# HELP up_total Requests.\n# TYPE up_total counter\nup_total 1\n"
    yield b"# HELP wide_series One series per id.\n# TYPE wide_series gauge\n"
    for start in range(0, count, 10_000):
        yield "".join(f'wide_series{{id="{i}",shard="s{i % 16}"}} {i}\n'
                      for i in range(start, min(count, start + 10_000))).encode()


async def _write_pieces(writer: asyncio.StreamWriter, pieces: Iterator[bytes]) -> None:
    with contextlib.suppress(ConnectionError):
        for piece in pieces:
            writer.write(piece)
            await writer.drain()


async def login(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await drain_body(request, reader)
    await answer(writer, 200, b'{"status": "ok"}', Set_Cookie="session=s1; Path=/")


async def session_only(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await drain_body(request, reader)
    signed_in = "session=s1" in request.headers.get("cookie", "")
    await answer(writer, 200 if signed_in else 401, b'{"status": "ok"}')


async def ok(request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await drain_body(request, reader)
    await answer(writer, 200, b'{"status": "ok"}')


# The server ----------------------------------------------------------------------------------------


@dataclass
class HostileServer:
    """``routes`` (path without query -> handler) served on 127.0.0.1, one request per connection.

    ``receive_buffer`` sets SO_RCVBUF on the listening socket (accepted sockets inherit it): a small
    buffer makes a client that sends a large body block early, so early answers race its writes."""

    routes: Mapping[str, Handler]
    receive_buffer: int | None = None
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("hostile server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self, ready: threading.Event) -> None:
        loop = self._loop = asyncio.new_event_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        server = loop.run_until_complete(asyncio.start_server(self._serve, sock=sock, backlog=1024))
        ready.set()
        try:
            loop.run_forever()
        finally:
            server.close()
            for task in asyncio.all_tasks(loop):
                task.cancel()
            loop.run_until_complete(asyncio.sleep(0))
            loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await read_request(reader)
            if request is None:
                return
            self.requests.append(request)
            handler = self.routes.get(request.path.split("?", 1)[0])
            if handler is None:
                await drain_body(request, reader)
                await answer(writer, 404, b'{"error": {"code": "NOT_FOUND"}}')
            else:
                await handler(request, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
