"""The proxy benchmark's figures are honest: bounded waits, paired differences, medians with spread.

The probes run against real servers on loopback: the benchmark's own sink (its process),
the embedded proxy of the test session, and peers that misbehave on purpose. A probe that
could hang is run in a thread with a bound, so a regression fails instead of hanging.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bench.proxy import Settings, combine, measure_server, round_trips, summary, throughput
from bench.servers import Server
from bench.table import markdown_table
from tests.chaos.conftest import ProxyFactory, add_toxic

BOUND = 15.0


def _bounded(call: Callable[[], Any]) -> tuple[str, Any]:
    """Run ``call`` in a thread for at most BOUND seconds: ("returned", value) or ("raised", exc)."""
    outcome: list[tuple[str, Any]] = []

    def target() -> None:
        try:
            outcome.append(("returned", call()))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(("raised", exc))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(BOUND)
    assert outcome, f"still running after {BOUND} s: the benchmark probe is unbounded"
    return outcome[0]


Behaviour = Callable[[socket.socket, threading.Event], None]


@contextlib.contextmanager
def _peer(behaviour: Behaviour) -> Iterator[int]:
    """A one-connection loopback server doing ``behaviour`` with the connection it accepts;
    the event it is given is set when the test leaves the block."""
    done = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(BOUND)

        def serve() -> None:
            with contextlib.suppress(OSError):
                conn, _ = server.accept()
                with conn:
                    behaviour(conn, done)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield server.getsockname()[1]
        finally:
            done.set()
            thread.join(BOUND)


def _echo_then_close(conn: socket.socket, done: threading.Event) -> None:
    for _ in range(3):
        conn.sendall(conn.recv(1))


def _swallow_and_stall(conn: socket.socket, done: threading.Event) -> None:
    """Reads everything, even past the end of the stream, and never answers nor closes."""
    while conn.recv(1 << 20):
        pass
    done.wait(BOUND)


def test_round_trips_end_when_the_peer_closes() -> None:
    with _peer(_echo_then_close) as port:
        kind, value = _bounded(lambda: round_trips(port, payload=b"x", expect=1, count=100))
    assert kind == "raised" and isinstance(value, ConnectionError), value


def test_throughput_through_the_proxy_is_confirmed_by_the_sink(make_proxy: ProxyFactory) -> None:
    with Server("sink") as sink:
        proxy = make_proxy(upstream=f"127.0.0.1:{sink}")
        kind, value = _bounded(lambda: throughput(int(proxy["listen"].rsplit(":", 1)[1]), megabytes=8))
    assert kind == "returned" and value > 0, value


@pytest.mark.parametrize(
    ("toxic", "attributes"), [("timeout", {"timeout": 0}), ("limit_data", {"bytes": 1 << 20})], ids=["dropped", "cut"]
)
def test_throughput_never_reports_bytes_that_did_not_arrive(
    api: httpx.Client, make_proxy: ProxyFactory, toxic: str, attributes: dict[str, int]
) -> None:
    with Server("sink") as sink:
        proxy = make_proxy(upstream=f"127.0.0.1:{sink}")
        add_toxic(api, proxy["name"], toxic, stream="upstream", attributes=attributes)
        kind, value = _bounded(lambda: throughput(int(proxy["listen"].rsplit(":", 1)[1]), megabytes=8, timeout=2.0))
    assert kind == "raised" and isinstance(value, OSError), f"{value!r}: the sink never received the transfer whole"


def test_throughput_is_bounded_when_the_sink_never_answers() -> None:
    with _peer(_swallow_and_stall) as port:
        kind, value = _bounded(lambda: throughput(port, megabytes=8, timeout=1.0))
    assert kind == "raised" and isinstance(value, OSError), value


def test_added_p99_comes_from_paired_differences() -> None:
    """Three direct round trips hit a 500 µs hiccup; through the proxy every pair costs 20 µs more.

    The difference of the two p99s says -470 µs; the p99 of the per-pair differences says 20.
    """
    direct = [10.0] * 97 + [500.0] * 3
    proxied = [30.0] * 100
    figures = summary(direct, proxied)
    assert figures["added_p50_us"] == 20.0
    assert figures["added_p99_us"] == 20.0
    assert (figures["direct_p99_us"], figures["proxy_p99_us"]) == (500.0, 30.0)  # both distributions reported


def test_combine_reports_median_and_spread() -> None:
    combined = combine([{"a": {"b": 3.0}, "c": 1.0}, {"a": {"b": 1.0}, "c": 1.0}, {"a": {"b": 2.0}, "c": 4.0}])
    assert combined == {"a": {"b": {"median": 2.0, "min": 1.0, "max": 3.0}},
                        "c": {"median": 1.0, "min": 1.0, "max": 4.0}}  # fmt: skip


def _leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict) and not {"median", "min", "max"} <= set(node):
        for key, child in node.items():
            yield from _leaves(child, f"{path}/{key}")
    else:
        yield path, node


@pytest.mark.slow
def test_every_proxy_figure_is_a_median_of_interleaved_samples_with_spread() -> None:
    settings = Settings(samples=3, round_trips=60, megabytes=4, burst=40, toxic_round_trips=3)
    figures = measure_server("embedded", settings)
    assert figures["samples"] == 3 and figures["version"].startswith("2.12.0")
    leaves = dict(_leaves({k: v for k, v in figures.items() if k not in ("samples", "version")}))
    assert "/echo_1byte/added_p99_us" in leaves and "/connect_burst_40/proxy/slowest_connect_ms" in leaves
    for path, leaf in leaves.items():
        assert set(leaf) == {"median", "min", "max"}, path
        assert leaf["min"] <= leaf["median"] <= leaf["max"], (path, leaf)
    assert leaves["/connect_burst_40/proxy/incomplete"]["max"] == 0
    table = markdown_table({"proxy": {"embedded": figures}})
    assert "embedded proxy: added p50, 1-byte echo" in table and " – " in table
