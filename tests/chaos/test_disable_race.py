"""A connection the kernel accepted just as the proxy is disabled is closed with it, never left open.

Toxiproxy closes its listener and every connection when a proxy is disabled; a client that connected
an instant before sees its connection end at once. The race is forced in process: the client connects,
the loop runs one turn (the listener is readable, the connection is taken from the accept queue), and
the proxy is disabled before the connection's transport exists. The client must then see its
connection end within a second, not hang until the socket is garbage collected.
"""

from __future__ import annotations

import asyncio
import gc
import socket

from readiness_harness.chaos.server.proxy import Proxy


async def _echo_server() -> asyncio.Server:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(1024))
        await writer.drain()
        writer.close()

    return await asyncio.start_server(echo, "127.0.0.1", 0)


def _ended_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(16) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


async def _race_once(turns: int) -> bool:
    upstream = await _echo_server()
    port = upstream.sockets[0].getsockname()[1]
    proxy = Proxy(name="race", listen="127.0.0.1:0", upstream=f"127.0.0.1:{port}")
    await proxy.start()
    host, listen_port = proxy.listen.rsplit(":", 1)
    client = socket.create_connection((host, int(listen_port)))
    try:
        for _ in range(turns):
            await asyncio.sleep(0)  # the listener's read callback runs: accepted, transport not made yet
        await proxy.stop()
        for _ in range(5):
            await asyncio.sleep(0.01)  # whatever the loop still had to do for that connection
        return await asyncio.to_thread(_ended_within, client, 1.0)
    finally:
        client.close()
        upstream.close()
        await upstream.wait_closed()


def test_a_connection_accepted_as_the_proxy_is_disabled_is_closed_with_it():
    gc.disable()  # a leaked socket must not be rescued by a collection that happens to run
    try:
        for turns in (0, 1, 2, 3):
            assert asyncio.run(_race_once(turns)), f"connection left open after disable ({turns} loop turns)"
    finally:
        gc.enable()
