"""A response body read with a cap on its decompressed size, keeping only as much as is needed.

The cap counts decompressed bytes: a gzip bomb of a few MB that inflates to gigabytes is read up
to the cap and no further (each read inflates to at most ``PIECE`` bytes at a time). Reading stops
at the cap and the rest of the body is never read (the connection is closed). ``gzip`` and
``deflate`` are decoded, the encodings the harness asks for; any other is kept as it came.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx

MIB = 1024 * 1024
DEFAULT_LIMIT = 8 * MIB
PIECE = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True)
class Body:
    data: bytes  # the first ``keep`` bytes of the decoded body
    size: int  # decoded bytes read (at most the limit)
    cut: bool  # the body is longer than the limit: the rest was not read
    limit: int
    undecoded: str | None = None  # a content-encoding left as it came

    def note(self) -> str | None:
        """What a reader of the evidence must know: the cut, and an encoding left undecoded."""
        notes = []
        if self.cut:
            notes.append(f"response cut at {size_text(self.limit)}: the rest was not read (max_response_bytes)")
        if self.undecoded:
            notes.append(f"content-encoding {self.undecoded} left undecoded")
        return "; ".join(notes) or None


def size_text(count: int) -> str:
    if count >= MIB and count % MIB == 0:
        return f"{count // MIB} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


async def read_body(response: httpx.Response, *, limit: int, keep: int | None = None) -> Body:
    """Read at most ``limit`` decoded bytes of ``response``; keep the first ``keep`` (default: all read)."""
    keep = limit if keep is None else min(keep, limit)
    reader = BodyReader(response, limit)
    kept = bytearray()
    async for piece in reader:
        if len(kept) < keep:
            kept += piece[: keep - len(kept)]
    return reader.body(bytes(kept))


class BodyReader:
    """The decoded pieces of a body, ``limit`` bytes of them at most; then :attr:`cut` says whether
    more was there (the rest is never read)."""

    def __init__(self, response: httpx.Response, limit: int) -> None:
        self.response, self.limit = response, limit
        self.decoder = _Decoder(response.headers.get("content-encoding", ""))
        self.size = 0
        self.cut = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for raw in self.response.aiter_raw():
            for piece in self.decoder.decode(raw, self.limit + 1 - self.size):
                self.size += len(piece)
                if self.size > self.limit:
                    self.cut = True
                    piece = piece[: len(piece) - (self.size - self.limit)]
                    self.size = self.limit
                if piece:
                    yield piece
                if self.cut:
                    return

    def body(self, kept: bytes) -> Body:
        return Body(kept, self.size, self.cut, self.limit, self.decoder.undecoded)


class _Decoder:
    """gzip and deflate inflated a bounded piece at a time; anything else passed through."""

    def __init__(self, encoding: str) -> None:
        name = encoding.strip().lower()
        self.undecoded = None if name in ("", "identity", "gzip", "x-gzip", "deflate") else name
        self.wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
                      "deflate": zlib.MAX_WBITS}.get(name)
        self.inflater = zlib.decompressobj(self.wbits) if self.wbits is not None else None
        self.started = False

    def decode(self, data: bytes, budget: int) -> Iterator[bytes]:
        if self.inflater is None:
            yield data[:budget]
            return
        while data and budget > 0:
            out = self._inflate(data, min(budget, PIECE))
            data = self.inflater.unconsumed_tail if self.inflater is not None else b""
            if not out:
                return
            budget -= len(out)
            yield out

    def _inflate(self, data: bytes, most: int) -> bytes:
        if self.inflater is None:
            return data[:most]
        try:
            out = self.inflater.decompress(data, most)
        except zlib.error as exc:
            if self.wbits == zlib.MAX_WBITS and not self.started:  # deflate sent raw, without the zlib header
                self.wbits, self.inflater = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
                return self._inflate(data, most)
            raise httpx.DecodingError(f"the {'gzip' if self.wbits and self.wbits > 16 else 'deflate'} body "
                                      f"could not be decoded: {exc}") from exc
        self.started = True
        return out
