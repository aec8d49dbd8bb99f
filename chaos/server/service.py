"""The embedded server as an object: control API listener plus the proxies it manages.

Usable in-process (``async with ToxiproxyServer() as server: ... server.url``) or through
``python -m readiness_harness.chaos.server``. Closing it stops every proxy and aborts their connections.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from readiness_harness.chaos.server.api import ControlApi
from readiness_harness.chaos.server.http import serve_connection
from readiness_harness.chaos.server.listener import BACKLOG
from readiness_harness.chaos.server.proxy import join_address
from readiness_harness.chaos.server.registry import ProxyRegistry


class ToxiproxyServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 8474) -> None:
        self.host = host
        self.port = port
        self.registry = ProxyRegistry()
        self._api = ControlApi(self.registry)
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{join_address(self.host, self.port)}"

    async def start(self) -> ToxiproxyServer:
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, reuse_address=True, backlog=BACKLOG
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await serve_connection(reader, writer, self._api)
        finally:
            self._clients.discard(writer)

    async def close(self) -> None:
        """Stop listening, drop API connections and stop every proxy. Idempotent."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._clients):
            writer.close()
        self.registry.close()
        await asyncio.sleep(0)

    async def __aenter__(self) -> ToxiproxyServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def serve(host: str = "127.0.0.1", port: int = 8474) -> ToxiproxyServer:
    """Start an embedded server and return it running; the caller closes it."""
    return await ToxiproxyServer(host, port).start()
