"""Tiny blocking socket servers for the proxy benchmarks, each in its own process."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import socket
import struct
import threading
from collections.abc import Callable

BACKLOG = 4096
HTTP_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def _echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def _http(conn: socket.socket) -> None:
    buffer = b""
    while chunk := conn.recv(65536):
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            _, buffer = buffer.split(b"\r\n\r\n", 1)
            conn.sendall(HTTP_RESPONSE)


def _sink(conn: socket.socket) -> None:
    """Per transfer: an 8-byte size, that many bytes, then the count received (8 bytes) back."""
    while len(header := _read_up_to(conn, 8)) == 8:
        (size,) = struct.unpack("!Q", header)
        received = 0
        while received < size and (data := conn.recv(min(1 << 20, size - received))):
            received += len(data)
        conn.sendall(struct.pack("!Q", received))


def _read_up_to(conn: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count and (chunk := conn.recv(count - len(data))):
        data += chunk
    return data


HANDLERS: dict[str, Callable[[socket.socket], None]] = {"echo": _echo, "http": _http, "sink": _sink}


def _serve(kind: str, ready: mp.Queue) -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(BACKLOG)  # bursts of connects are queued, as by the proxies measured against it
    ready.put(server.getsockname()[1])
    handler = HANDLERS[kind]
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_run, args=(handler, conn), daemon=True).start()


def _run(handler: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):
        handler(conn)


class Server:
    """``with Server("echo") as port: ...`` — a server process on a free loopback port."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._process: mp.Process | None = None

    def __enter__(self) -> int:
        ready: mp.Queue = mp.Queue()
        self._process = mp.Process(target=_serve, args=(self.kind, ready), daemon=True)
        self._process.start()
        return int(ready.get(timeout=10))

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(timeout=5)
