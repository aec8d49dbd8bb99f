"""Bytes sent before the proxy's upstream is connected: kept, in order, never dropped.

The upstream accepts slowly (see ``tests/chaos/early_data.py``), so the proxy's dial
takes about a second while the client has already sent everything, with no sleep. The
same module runs these checks with any interpreter, e.g. Debian's ``/usr/bin/python3``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from readiness_harness.chaos.server.connection import EARLY_LIMIT, Side
from readiness_harness.chaos.server.link import Link
from tests.chaos.conftest import ProxyFactory
from tests.chaos.early_data import SlowUpstream, held_side, payload, send_early

BIG = 4 << 20
payload(BIG)  # built and cached at import: no test spends the upstream's 0.2 s head start on it
MAX_READ = 256 * 1024  # the most a selector transport reads at once


@pytest.fixture
def slow_upstream() -> Iterator[SlowUpstream]:
    upstream = SlowUpstream(delay=0.2)
    try:
        yield upstream
    finally:
        upstream.close()


@pytest.mark.parametrize("size", [64, BIG], ids=["small", "4MiB"])
@pytest.mark.parametrize("eof", [False, True], ids=["open", "eof"])
def test_early_bytes_reach_slow_upstream(
    make_proxy: ProxyFactory, slow_upstream: SlowUpstream, size: int, eof: bool
) -> None:
    data = payload(size)
    proxy = make_proxy(upstream=slow_upstream.address)
    assert send_early(proxy["listen"], slow_upstream, data, eof=eof) == data


@pytest.mark.parametrize("eof", [False, True], ids=["open", "eof"])
def test_early_bytes_kept_when_reading_is_not_held(
    make_proxy: ProxyFactory, slow_upstream: SlowUpstream, monkeypatch: pytest.MonkeyPatch, eof: bool
) -> None:
    """As on an interpreter whose pause in connection_made does not take: reading starts
    at once, the client side keeps what it reads, pauses past EARLY_LIMIT, replays it all."""
    kept: list[int] = []
    attach = Side.attach

    def recording_attach(side: Side, outbound: Link, inbound: Link) -> None:
        kept.append(side.pending)
        attach(side, outbound, inbound)

    monkeypatch.setattr(Side, "hold", lambda side: None)
    monkeypatch.setattr(Side, "attach", recording_attach)
    data = payload(BIG)
    proxy = make_proxy(upstream=slow_upstream.address)
    assert send_early(proxy["listen"], slow_upstream, data, eof=eof) == data
    client_kept = kept[0]  # the client side is attached first, then the upstream side
    assert EARLY_LIMIT < client_kept <= EARLY_LIMIT + MAX_READ


def test_held_side_reads_nothing_until_attached() -> None:
    """The pause made in connection_made holds on every version (re-applied a turn later)."""
    data = payload(64)
    read_while_held, forwarded = asyncio.run(held_side(data))
    assert (read_while_held, forwarded) == (0, data)


# -- Side before attach, on a fake transport -------------------------------------------------


class _FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.closing = False
        self.calls: list[str] = []
        self.written = bytearray()

    def is_reading(self) -> bool:
        return self.reading

    def pause_reading(self) -> None:
        self.calls.append("pause")
        self.reading = False

    def resume_reading(self) -> None:
        self.calls.append("resume")
        self.reading = True

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: Any) -> None:
        self.written += data

    def close(self) -> None:
        self.closing = True


def _attached(side: Side) -> tuple[_FakeTransport, Link]:
    """Attach ``side`` to links whose far end is a fake transport; that transport."""
    loop = asyncio.new_event_loop()
    far = _FakeTransport()
    source = side.transport
    assert source is not None
    outbound = Link(loop=loop, source=source, dest=far)
    side.attach(outbound, Link(loop=loop, source=far, dest=source))
    loop.close()
    return far, outbound


def _side() -> tuple[Side, _FakeTransport]:
    side, transport = Side(), _FakeTransport()
    side.connection_made(transport)
    return side, transport


def test_side_keeps_data_and_eof_in_order_until_attached() -> None:
    side, _ = _side()
    for chunk in (b"one ", b"two ", b"three"):
        side.data_received(chunk)
    assert side.eof_received() is True
    assert side.pending == 13
    far, _ = _attached(side)
    assert bytes(far.written) == b"one two three"
    assert far.closing  # the EOF followed the data: like Toxiproxy, the destination closes
    assert side.pending == 0


def test_side_pauses_past_limit_and_resumes_on_attach() -> None:
    side, transport = _side()
    side.data_received(b"x" * EARLY_LIMIT)
    assert transport.calls == []
    side.data_received(b"y")
    assert transport.calls == ["pause"]
    far, _ = _attached(side)
    assert transport.calls == ["pause", "resume"]
    assert len(far.written) == EARLY_LIMIT + 1
    side.data_received(b"later")
    assert bytes(far.written).endswith(b"xylater")


def test_side_rearms_a_pause_that_did_not_take() -> None:
    """Data arriving while flagged paused: pause_reading() alone would be a no-op."""
    side, transport = _side()
    transport.reading = False
    side.data_received(b"z" * (EARLY_LIMIT + 1))
    assert transport.calls == ["resume", "pause"]
    assert not transport.reading


def test_side_lost_before_attach_is_replayed() -> None:
    side, _ = _side()
    side.data_received(b"last words")
    side.connection_lost(None)
    far, _ = _attached(side)
    assert bytes(far.written) == b"last words"
    assert far.closing
    assert side.lost
