"""Disable and delete close the proxied sockets before the API answers.

As with Toxiproxy, a client that writes on its proxied connection right after the API
call returned sees a clean end of stream: the proxy's socket was closed (FIN) before the
answer, so the client's write finds a closed peer. Closing after the answer lets the
write land in a still-open socket whose later close, with unread data, is a reset.
Server and echo run in their own processes, as in an audit, so the race is real.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness_harness.chaos.provider import start_toxiproxy
from tests.chaos.sockets import raw_request
from tests.chaos.support import connections, echo_process, round_trip

CONNECTIONS = 100


@contextlib.contextmanager
def _server_and_echo(tmp_path: Path) -> Iterator[tuple[str, str]]:
    env = {**{k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}, "PATH": str(tmp_path)}
    with echo_process() as echo, start_toxiproxy(env=env) as toxiproxy:
        assert toxiproxy.kind == "embedded"
        yield toxiproxy.url, echo


def _outcome(sock: socket.socket) -> str:
    """Write one byte, then read: ``eof``, ``reset``, or what was read."""
    try:
        sock.send(b"x")
        data = sock.recv(16)
    except (ConnectionResetError, BrokenPipeError) as exc:
        return type(exc).__name__
    return "eof" if data == b"" else repr(data)


ACTIONS = {
    "disable": ("POST", json.dumps({"enabled": False}).encode(), 200),
    "delete": ("DELETE", b"", 204),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_write_right_after_disable_or_delete_sees_eof(tmp_path: Path, action: str) -> None:
    method, body, expected = ACTIONS[action]
    with _server_and_echo(tmp_path) as (url, echo):
        status, created = raw_request(url, "POST", "/proxies", json.dumps({"name": "p", "upstream": echo}).encode())
        assert status == 201, created
        with connections(json.loads(created)["listen"], CONNECTIONS) as socks:
            for sock in socks:
                round_trip(sock)
            status, _ = raw_request(url, method, "/proxies/p", body)
            outcomes = [_outcome(sock) for sock in socks]
    assert status == expected
    assert outcomes == ["eof"] * CONNECTIONS, {outcome: outcomes.count(outcome) for outcome in set(outcomes)}
