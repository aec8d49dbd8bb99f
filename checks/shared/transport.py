"""HTTP/1.1 that reads the answer while the request body is still going out.

A server may answer before it has read the whole request, most often a 413 decided from
``Content-Length``, and close the connection: the kernel then resets it because unread body bytes
are left. That is correct behaviour (RFC 9112, section 9.3), but a client that only starts reading
once it has sent everything never sees the answer: its next write fails, and with asyncio's
transports the answer already sitting in the socket is thrown away with the connection
(``ReadError``). This transport sends on a plain non-blocking socket with h11 and reads the
response concurrently, so an early answer is read as soon as it arrives; a write that fails after
that, or because of it, ends the upload and is not an error. A reset before any answer still is.

One connection per request, closed after the response (no pooling: checks send few requests, and a
fresh connection per request keeps one exchange from affecting the next). ``https`` URLs go through
the client's own transport (:func:`open_response`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import h11
import httpx

RECEIVE_SIZE = 16 * 1024  # small reads bound what one compressed read can inflate to
SEND_SIZE = 64 * 1024


async def open_response(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    """Send ``request``; the response's head is read, its body streams (close it when done). Cookies
    the answer sets go into the client's jar, as ``client.send`` does, for the requests after."""
    if request.url.scheme != "http":
        return await client.send(request, stream=True)
    response = await EarlyResponseTransport().handle_async_request(request)
    client.cookies.extract_cookies(response)
    return response


class EarlyResponseTransport(httpx.AsyncBaseTransport):
    """``handle_async_request`` for plain ``http``; the response body streams from the socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"{request.url.scheme}: this transport speaks plain http")
        timeouts = request.extensions.get("timeout", {})
        wire = await _Wire.connect(request.url.host, request.url.port or 80, timeouts.get("connect"))
        try:
            head = await wire.exchange(request, read_s=timeouts.get("read"), write_s=timeouts.get("write"))
        except BaseException:
            await wire.close()
            raise
        return httpx.Response(head.status_code, headers=head.headers, stream=_Body(wire, timeouts.get("read")),
                              request=request, extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason})


class _Body(httpx.AsyncByteStream):
    def __init__(self, wire: _Wire, read_s: float | None) -> None:
        self.wire, self.read_s = wire, read_s

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            event = await self.wire.next_event(self.read_s)
            if not isinstance(event, h11.Data):
                return  # the end of the message, the connection closed, or h11 paused after the end
            yield bytes(event.data)

    async def aclose(self) -> None:
        await self.wire.close()


class _Wire:
    """One socket and its h11 state; the body is sent by a task while the response is read."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.loop = asyncio.get_running_loop()
        self.h11 = h11.Connection(h11.CLIENT)
        self.sender: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, host: str, port: int, timeout_s: float | None) -> _Wire:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout_s):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                error: OSError = OSError(f"no address for {host}")
                for family, kind, proto, _, address in infos:
                    sock = socket.socket(family, kind, proto)
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    try:
                        await loop.sock_connect(sock, address)
                        return cls(sock)
                    except BaseException as exc:
                        sock.close()
                        if not isinstance(exc, OSError):
                            raise
                        error = exc
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout_s:g} s") from None
        raise httpx.ConnectError(str(error)) from error

    async def exchange(self, request: httpx.Request, *, read_s: float | None, write_s: float | None) -> h11.Response:
        """Send the head, start sending the body, and return the response head as soon as it is read."""
        try:
            head = self.h11.send(h11.Request(method=request.method, target=request.url.raw_path,
                                             headers=request.headers.raw))
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc
        await self._send(head, write_s)
        self.sender = asyncio.ensure_future(self._send_body(request, write_s))
        while True:
            try:
                event = await self.next_event(read_s)
            except httpx.TransportError as exc:
                raise self._why_no_answer(exc) from exc
            if isinstance(event, h11.Response):
                return event
            raise self._why_no_answer(httpx.RemoteProtocolError("Server disconnected without sending a response."))

    def _why_no_answer(self, error: httpx.TransportError) -> httpx.TransportError:
        """The read error, or the write error that came first when the upload failed too."""
        failed = self.sender.exception() if self.sender and self.sender.done() and not self.sender.cancelled() else None
        return failed if isinstance(failed, httpx.TransportError) else error

    async def next_event(self, read_s: float | None) -> object:
        """The next h11 event past informational responses, reading the socket as needed (an event,
        or h11.PAUSED once the response is complete)."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from exc
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self._receive(read_s))
            elif not isinstance(event, h11.InformationalResponse):
                return event

    async def _receive(self, read_s: float | None) -> bytes:
        try:
            async with asyncio.timeout(read_s):
                return await self.loop.sock_recv(self.sock, RECEIVE_SIZE)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no data within {read_s:g} s") from None
        except OSError as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    async def _send_body(self, request: httpx.Request, write_s: float | None) -> None:
        try:
            async for chunk in request.stream:  # type: ignore[union-attr]
                for start in range(0, len(chunk), SEND_SIZE):
                    await self._send(self.h11.send(h11.Data(data=chunk[start:start + SEND_SIZE])), write_s)
            await self._send(self.h11.send(h11.EndOfMessage()), write_s)
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc

    async def _send(self, data: bytes | None, write_s: float | None) -> None:
        if not data:
            return
        try:
            async with asyncio.timeout(write_s):
                await self.loop.sock_sendall(self.sock, data)
        except TimeoutError:
            raise httpx.WriteTimeout(f"could not send within {write_s:g} s") from None
        except OSError as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def close(self) -> None:
        if self.sender is not None:
            self.sender.cancel()
            with contextlib.suppress(BaseException):
                await self.sender
        self.sock.close()
