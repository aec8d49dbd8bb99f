"""Socket-level helpers for the chaos tests: connect bursts, raw HTTP, and this process's listeners.

Everything is loopback and bounded in time. ``listening_sockets`` reads ``/proc`` (Linux):
the listening TCP sockets whose inode is one of this process's open file descriptors.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from tests.chaos.support import TIMEOUT

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column


def split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


@contextlib.contextmanager
def burst(address: str, count: int) -> Iterator[list[socket.socket]]:
    """``count`` non-blocking connects started back to back; every socket closed afterwards."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            socks.append(sock)
            sock.setblocking(False)
            code = sock.connect_ex(split(address))
            if code not in (0, errno.EINPROGRESS):
                raise OSError(code, os.strerror(code))
        yield socks
    finally:
        for sock in socks:
            sock.close()


def connected_within(socks: list[socket.socket], seconds: float) -> list[socket.socket]:
    """The sockets whose connect completed (handshake done) within ``seconds``."""
    done: list[socket.socket] = []
    with selectors.DefaultSelector() as selector:
        for sock in socks:
            selector.register(sock, selectors.EVENT_WRITE)
        deadline = time.monotonic() + seconds
        while len(done) < len(socks) and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(timeout=min(left, 0.1)):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                selector.unregister(sock)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    done.append(sock)
    return done


def blocking(socks: list[socket.socket], timeout: float = TIMEOUT) -> list[socket.socket]:
    for sock in socks:
        sock.settimeout(timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return socks


def raw_request(base_url: str, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request on a fresh socket; the status and body once fully read."""
    host, port = split(base_url.removeprefix("http://"))
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        sock.sendall(head + body)
        answer = bytearray()
        while b"\r\n\r\n" not in answer or len(answer) < _expected_length(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    status_line, _, rest = bytes(answer).partition(b"\r\n")
    if not status_line:
        raise ConnectionError(f"{method} {path}: no answer")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _expected_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(head) + 4


def _own_socket_inodes() -> set[str]:
    inodes: set[str] = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # closed while listed
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    return inodes


def listening_sockets() -> set[str]:
    """``local_address`` (hex, as /proc prints it) of every TCP listener this process holds."""
    own = _own_socket_inodes()
    found: set[str] = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _LISTEN and fields[9] in own:
                found.add(f"{fields[1]}#{fields[9]}")
    return found
