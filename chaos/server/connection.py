"""One proxied TCP connection: the client socket, the upstream socket and two links.

The upstream is dialled when the client connects; if the dial fails the client socket is
closed. Meanwhile the client socket is held (reading paused) and whatever it still
delivers, an EOF included, is kept in order and handed to the upstream link once wired:
early bytes are never dropped. Like Toxiproxy, a link that ends closes its destination
entirely (no half-close), which in turn ends the other direction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import cast

from readiness_harness.chaos.server.link import HIGH_WATER, Link
from readiness_harness.chaos.server.toxics import Toxic

ToxicsFor = Callable[[str], Sequence[Toxic]]

# Bytes a side keeps before its links are wired; past this it pauses reading.
EARLY_LIMIT = HIGH_WATER


class Side(asyncio.Protocol):
    """Protocol of one socket; forwards what it reads to its outbound link.

    Before ``attach`` there is no outbound link: data and EOF are kept (reading pauses
    past ``EARLY_LIMIT`` bytes) and replayed into the link, in order, by ``attach``.
    """

    def __init__(self, on_made: Callable[[Side], None] | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.outbound: Link | None = None  # reads from this socket
        self.inbound: Link | None = None  # writes to this socket
        self.on_lost: Callable[[Side], None] | None = None
        self.lost = False
        self._on_made = on_made
        self._held = False
        self._early: list[bytes] = []
        self._early_size = 0
        self._early_eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self._on_made is not None:
            self._on_made(self)

    @property
    def pending(self) -> int:
        """Bytes read and kept while no outbound link is attached."""
        return self._early_size

    def hold(self) -> None:
        """Pause reading until ``attach``; meant to be called from ``connection_made``.

        Selector transports start reading on the loop turn after ``connection_made``; until
        CPython fixed gh-103607 (3.11.2, Debian bookworm's, has the bug; 3.11.7 does not)
        they did so even when ``pause_reading()`` was called there: the flag says paused,
        the socket is read. So the pause is applied again on the next turn, after that
        deferred start, where it takes effect on every version; anything read in between
        is kept by ``data_received``.
        """
        self._held = True
        self._pause()
        asyncio.get_running_loop().call_soon(self._hold_again)

    def _hold_again(self) -> None:
        if self._held:
            self._pause()

    def _pause(self) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not transport.is_reading():
            # Flagged paused, yet reading may go on (see ``hold``); pause_reading() alone
            # would be a no-op, so cycle through resume (nothing is read in between).
            transport.resume_reading()
        transport.pause_reading()

    def attach(self, outbound: Link, inbound: Link) -> None:
        """Wire the links, resume reading, then replay what was kept before them."""
        self.outbound, self.inbound = outbound, inbound
        early, eof = self._early, self._early_eof
        self._early, self._early_size, self._early_eof = [], 0, False
        if self._held or early:
            self._held = False
            if self.transport is not None and not self.transport.is_closing():
                self.transport.resume_reading()  # reads only on a later turn, after the replay
        for chunk in early:
            outbound.feed(chunk)
        if eof:
            outbound.feed_eof()
        if self.lost:
            inbound.dest_lost()

    def data_received(self, data: bytes) -> None:
        if self.outbound is not None:
            self.outbound.feed(data)
            return
        self._early.append(data)
        self._early_size += len(data)
        if self._early_size > EARLY_LIMIT:
            self._pause()

    def eof_received(self) -> bool:
        if self.outbound is not None:
            self.outbound.feed_eof()
        else:
            self._early_eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.outbound is not None:
            self.outbound.feed_eof()
        else:
            self._early_eof = True
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
        self._closed: asyncio.Future[None] | None = None
        client.on_lost = self._side_lost
        self._client_transport = cast(asyncio.Transport, client.transport)
        client.hold()
        self._dial = self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        client_transport = self._client_transport
        if self._upstream is None:
            client_transport.close()
            return
        try:
            transport, server = await self.loop.create_connection(Side, *self._upstream)
        except (OSError, ValueError):  # refused, unreachable, or a host that cannot be looked up (NUL)
            client_transport.close()
            return
        self.server = server
        server.on_lost = self._side_lost
        if client_transport.is_closing():
            transport.close()
            return
        self._wire(client_transport, transport, server)

    def _wire(self, client: asyncio.Transport, server: asyncio.Transport, side: Side) -> None:
        up = Link(loop=self.loop, source=client, dest=server, toxics=self._toxics_for("upstream"))
        down = Link(loop=self.loop, source=server, dest=client, toxics=self._toxics_for("downstream"))
        self.links = {"upstream": up, "downstream": down}
        self.client.attach(up, down)  # replays the bytes the client sent during the dial
        side.attach(down, up)

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

    @property
    def is_closed(self) -> bool:
        return self.client.lost and (self.server is None or self.server.lost)

    def closed(self) -> asyncio.Future[None]:
        """Done once both sockets are closed (the socket is closed right after its
        ``connection_lost``, before anything awaiting this resumes)."""
        if self._closed is None:
            self._closed = self.loop.create_future()
            if self.is_closed:
                self._closed.set_result(None)
        return self._closed

    def _side_lost(self, side: Side) -> None:
        if self.is_closed:
            self._on_closed(self)
            if self._closed is not None and not self._closed.done():
                self._closed.set_result(None)
