"""A proxy's listening sockets and their accept loop, closed as Toxiproxy closes them.

asyncio's ``create_server`` makes each accepted connection's transport in a task of its own; a
server closed before that task runs leaves the accepted socket to the garbage collector
(Python 3.11 fails the transport's creation and drops the socket silently), so a client that
connected an instant before a proxy was disabled hung until a collection happened to run.
Here the proxy accepts itself: every accepted socket belongs to one generation of the listener,
and a socket whose generation was closed is closed at once, before or after its transport exists.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

#: Listen backlog of proxy listeners and of the control API, as Toxiproxy's (Go uses the
#: kernel's somaxconn, 4096 on current Linux): a burst of connects is queued, not dropped
#: into SYN retransmissions that would add a second of latency the service never caused.
BACKLOG = 4096

#: Connections taken from the accept queue per readiness callback (asyncio takes as many).
ACCEPT_BATCH = 100

Made = Callable[[asyncio.Transport], None]


async def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``host:port`` (every address the host resolves to), non-blocking.

    Raises ``socket.gaierror`` for a host that cannot be resolved, ``OSError`` when an address
    cannot be bound, ``ValueError`` for a host that cannot even be looked up (a NUL byte).
    """
    if "\x00" in host:  # the resolver would read the host only up to the NUL
        raise ValueError("embedded null character")
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


class Listener:
    """Accepts on ``sockets`` until :meth:`close`; ``on_made`` gets each connection's transport."""

    def __init__(self, sockets: list[socket.socket], protocol: Callable[[], asyncio.Protocol]) -> None:
        self.loop = asyncio.get_running_loop()
        self.sockets = sockets
        self._protocol = protocol
        self._open = True
        self._pending: set[asyncio.Task[None]] = set()
        for sock in sockets:
            self.loop.add_reader(sock.fileno(), self._accept, sock)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.sockets[0].getsockname()[:2]
        return host, port

    @property
    def is_open(self) -> bool:
        return self._open

    def close(self) -> None:
        """Stop accepting and close the listening sockets now; accepted sockets not yet handed on close too."""
        if not self._open:
            return
        self._open = False
        for sock in self.sockets:
            self.loop.remove_reader(sock.fileno())
            sock.close()

    def _accept(self, sock: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            if not self._open:
                return
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, aborted handshake: the next readiness tries again
                return
            conn.setblocking(False)
            task = self.loop.create_task(self._hand_on(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _hand_on(self, conn: socket.socket) -> None:
        if not self._open:
            conn.close()
            return
        try:
            transport, _ = await self.loop.connect_accepted_socket(self._protocol, conn)
        except OSError:
            conn.close()
            return
        if not self._open:  # closed while the transport was being made
            transport.abort()
