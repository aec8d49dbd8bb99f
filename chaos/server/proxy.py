"""A named proxy: a listener, its open connections and its toxics.

``start`` binds the listen address and records the address actually bound, so a listen
of ``127.0.0.1:0`` is answered (and later re-bound on enable) with the real port.
``stop`` closes the listener and aborts every open client and upstream socket.
"""

from __future__ import annotations

import asyncio
from typing import Any

from readiness_harness.chaos.server.connection import Connection, Side
from readiness_harness.chaos.server.errors import internal, toxic_exists, toxic_not_found
from readiness_harness.chaos.server.toxics import Toxic


def split_address(address: str) -> tuple[str, int] | None:
    """``host:port`` (``[v6]:port`` too) into a pair; None when it is not one."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        return None
    return host.strip("[]"), int(port)


def join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Proxy:
    def __init__(self, *, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: dict[str, Toxic] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        if self.enabled:
            return
        address = split_address(self.listen)
        if address is None:
            raise internal(f"listen tcp {self.listen}: address {self.listen}: missing port in address")
        host, port = address
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: Side(self._accept), host or "0.0.0.0", port, reuse_address=True
            )
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise internal(f"listen tcp {self.listen}: bind: {reason}") from exc
        bound = self._server.sockets[0].getsockname()
        self.listen = join_address(bound[0], bound[1])
        self.enabled = True

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.abort()
        self._connections.clear()
        self.enabled = False

    async def update(self, *, listen: str, upstream: str, enabled: bool) -> None:
        """Apply merged fields: a new listen or upstream restarts the proxy."""
        if listen != self.listen or upstream != self.upstream:
            self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            self.stop()

    def _accept(self, side: Side) -> None:
        connection = Connection(
            side,
            upstream=split_address(self.upstream),
            toxics_for=self.stream_toxics,
            on_closed=self._connections.discard,
        )
        self._connections.add(connection)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    # -- toxics ------------------------------------------------------------------------

    def stream_toxics(self, stream: str) -> list[Toxic]:
        return [toxic for toxic in self.toxics.values() if toxic.stream == stream]

    def ordered_toxics(self) -> list[Toxic]:
        return self.stream_toxics("upstream") + self.stream_toxics("downstream")

    def get_toxic(self, name: str) -> Toxic:
        toxic = self.toxics.get(name)
        if toxic is None:
            raise toxic_not_found()
        return toxic

    def add_toxic(self, toxic: Toxic) -> None:
        if toxic.name in self.toxics:
            raise toxic_exists()
        self.toxics[toxic.name] = toxic
        self._toxics_changed()

    def replace_toxic(self, toxic: Toxic) -> None:
        self.get_toxic(toxic.name)
        self.toxics[toxic.name] = toxic
        self._toxics_changed()

    def remove_toxic(self, name: str) -> None:
        self.get_toxic(name)
        del self.toxics[name]
        self._toxics_changed()

    def clear_toxics(self) -> None:
        if self.toxics:
            self.toxics.clear()
            self._toxics_changed()

    def _toxics_changed(self) -> None:
        for connection in list(self._connections):
            connection.toxics_changed()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [toxic.to_json() for toxic in self.ordered_toxics()],
        }
