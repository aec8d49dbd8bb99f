"""One proxied TCP connection: the client socket, the upstream socket and two links.

The upstream is dialled when the client connects (client reads are paused meanwhile);
if the dial fails the client socket is closed. Like Toxiproxy, a link that ends closes
its destination entirely (no half-close), which in turn ends the other direction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import cast

from chaos.server.link import Link
from chaos.server.toxics import Toxic

ToxicsFor = Callable[[str], Sequence[Toxic]]


class Side(asyncio.Protocol):
    """Protocol of one socket; forwards what it reads to its outbound link."""

    def __init__(self, on_made: Callable[[Side], None] | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.outbound: Link | None = None  # reads from this socket
        self.inbound: Link | None = None  # writes to this socket
        self.on_lost: Callable[[Side], None] | None = None
        self._on_made = on_made

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self._on_made is not None:
            self._on_made(self)

    def data_received(self, data: bytes) -> None:
        if self.outbound is not None:
            self.outbound.feed(data)

    def eof_received(self) -> bool:
        if self.outbound is not None:
            self.outbound.feed_eof()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        if self.outbound is not None:
            self.outbound.feed_eof()
        if self.inbound is not None:
            self.inbound.dest_lost()
        if self.on_lost is not None:
            self.on_lost(self)

    def pause_writing(self) -> None:
        if self.inbound is not None:
            self.inbound.set_dest_paused(True)

    def resume_writing(self) -> None:
        if self.inbound is not None:
            self.inbound.set_dest_paused(False)


class Connection:
    def __init__(
        self,
        client: Side,
        *,
        upstream: tuple[str, int] | None,
        toxics_for: ToxicsFor,
        on_closed: Callable[[Connection], None],
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.client = client
        self.server: Side | None = None
        self.links: dict[str, Link] = {}
        self._upstream = upstream
        self._toxics_for = toxics_for
        self._on_closed = on_closed
        self._lost = 0
        client.on_lost = self._side_lost
        self._client_transport = cast(asyncio.Transport, client.transport)
        self._client_transport.pause_reading()
        self._dial = self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        client_transport = self._client_transport
        if self._upstream is None:
            client_transport.close()
            return
        try:
            transport, server = await self.loop.create_connection(Side, *self._upstream)
        except OSError:
            client_transport.close()
            return
        self.server = server
        server.on_lost = self._side_lost
        if client_transport.is_closing():
            transport.close()
            return
        self._wire(client_transport, transport, server)
        client_transport.resume_reading()

    def _wire(self, client: asyncio.Transport, server: asyncio.Transport, side: Side) -> None:
        up = Link(loop=self.loop, source=client, dest=server, toxics=self._toxics_for("upstream"))
        down = Link(loop=self.loop, source=server, dest=client, toxics=self._toxics_for("downstream"))
        self.links = {"upstream": up, "downstream": down}
        self.client.outbound, side.inbound = up, up
        side.outbound, self.client.inbound = down, down

    def toxics_changed(self) -> None:
        for stream, link in self.links.items():
            link.set_toxics(self._toxics_for(stream))

    def abort(self) -> None:
        """Close both sockets now (proxy disabled, deleted or restarted).

        A dial still in flight is left to finish: it sees the closed client and closes
        the upstream socket it opened, so no socket is leaked by a cancelled dial.
        """
        for side in (self.client, self.server):
            if side is not None and side.transport is not None:
                side.transport.abort()

    def _side_lost(self, side: Side) -> None:
        self._lost += 1
        if self._lost >= (2 if self.server is not None else 1):
            self._on_closed(self)
