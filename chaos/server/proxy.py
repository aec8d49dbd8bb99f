"""A named proxy: a listener, its open connections and its toxics.

``start`` binds the listen address and records the address actually bound, so a listen
of ``127.0.0.1:0`` is answered (and later re-bound on enable) with the real port.
``stop`` closes the listener and aborts every open client and upstream socket.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

from readiness_harness.chaos.server.connection import Connection, Side
from readiness_harness.chaos.server.errors import bad_body, internal, toxic_exists, toxic_not_found
from readiness_harness.chaos.server.listener import Listener, bind
from readiness_harness.chaos.server.toxics import Toxic

#: How long disable/delete waits for the proxied sockets to be closed before answering.
CLOSE_WAIT_S = 1.0


def split_address(address: str) -> tuple[str, int] | None:
    """``host:port`` (``[v6]:port`` too; an empty port is 0) into a pair; None when it is not one."""
    host, sep, port = address.rpartition(":")
    if not sep or not (port.isdigit() or port == "") or int(port or 0) > 65535:
        return None
    return host.strip("[]"), int(port or 0)


def listen_error(listen: str) -> str:
    """Toxiproxy's text for a listen address that is not ``host:port``."""
    host, sep, port = listen.rpartition(":")
    if not sep:
        return f"listen tcp: address {listen}: missing port in address"
    if ":" in host and not host.startswith("["):
        return f"listen tcp: address {listen}: too many colons in address"
    if port.isdigit():
        return f"listen tcp: address {port}: invalid port"
    return f"listen tcp: lookup tcp/{port}: unknown port"


async def _resolve(listen: str) -> None:
    """Raise the error binding ``listen`` would give if its address cannot be resolved."""
    address = split_address(listen)
    if address is None:
        raise internal(listen_error(listen))
    host, port = address
    if "\x00" in host:  # the resolver would read the host only up to the NUL
        raise bad_body(f"listen address {listen!r}: embedded null character")
    try:
        await asyncio.get_running_loop().getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise internal(f"listen tcp: lookup {host}: no such host") from exc
    except ValueError as exc:  # NUL byte, invalid IDNA label
        raise bad_body(f"listen address {listen!r}: {exc}") from exc


def join_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Proxy:
    def __init__(self, *, name: str, listen: str, upstream: str) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.toxics: dict[str, Toxic] = {}
        self._listener: Listener | None = None
        self._connections: set[Connection] = set()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the listen address (errors worded as Toxiproxy words them) and accept."""
        if self.enabled:
            return
        address = split_address(self.listen)
        if address is None:
            raise internal(listen_error(self.listen))
        sockets = await self._bind(*address)
        listener = Listener(sockets, lambda: Side(lambda side: self._accept(listener, side)))
        self._listener = listener
        self.listen = join_address(*listener.address)
        self.enabled = True

    async def _bind(self, host: str, port: int) -> list[socket.socket]:
        try:
            return await bind(host or "0.0.0.0", port)
        except socket.gaierror as exc:
            raise internal(f"listen tcp: lookup {host}: no such host") from exc
        except OSError as exc:
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise internal(f"listen tcp {self.listen}: bind: {reason}") from exc
        except (ValueError, UnicodeError) as exc:  # NUL byte, invalid IDNA label: the host cannot be looked up
            raise bad_body(f"listen address {self.listen!r}: {exc}") from exc

    def halt(self) -> list[Connection]:
        """Close the listener and abort every connection now; returns those connections."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        connections = list(self._connections)
        for connection in connections:
            connection.abort()
        self._connections.clear()
        self.enabled = False
        return connections

    async def stop(self) -> None:
        """``halt``, then wait (bounded) until the aborted sockets are closed.

        So a client that writes right after the API answered finds a closed socket and
        sees an end of stream, as with Toxiproxy, instead of a socket that is closed
        later with its unread write and answers a reset.
        """
        connections = self.halt()
        if connections:
            await asyncio.wait([connection.closed() for connection in connections], timeout=CLOSE_WAIT_S)

    async def update(self, *, listen: str, upstream: str, enabled: bool) -> None:
        """Apply merged fields: a new listen or upstream restarts the proxy.

        A new listen address that cannot be resolved is refused before anything changes,
        as Toxiproxy resolves it first.
        """
        if listen != self.listen:
            await _resolve(listen)
        if listen != self.listen or upstream != self.upstream:
            await self.stop()
            self.listen, self.upstream = listen, upstream
        if enabled and not self.enabled:
            await self.start()
        elif not enabled and self.enabled:
            await self.stop()

    def _accept(self, listener: Listener, side: Side) -> None:
        if listener is not self._listener or not listener.is_open:  # disabled while it was being accepted
            if side.transport is not None:
                side.transport.abort()
            return
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
        return [toxic for toxic in self.toxics.values() if toxic.direction == stream]

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
