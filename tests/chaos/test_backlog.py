"""A burst of connects is queued by the kernel, not dropped, on proxy listeners and on the API.

The server's loop is frozen while the burst is started, so nothing is accepted: every
connect that completes was queued in the listener's backlog. With asyncio's default of
100, only 101 complete and the rest wait for a SYN retransmission (1 s, then 3 s...), the
latency a load test would blame on the service. Toxiproxy listens with 4,096. The figure
(slowest connect of a 600-connect burst) is measured by ``bench/proxy.py``, not asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.conftest import ProxyFactory
from tests.chaos.sockets import blocking, burst, connected_within
from tests.chaos.support import Backends, timed_echoes

BURST = 600
_SOMAXCONN_FILE = Path("/proc/sys/net/core/somaxconn")
SOMAXCONN = int(_SOMAXCONN_FILE.read_text()) if _SOMAXCONN_FILE.exists() else 0
needs_somaxconn = pytest.mark.skipif(
    SOMAXCONN < BURST,
    reason=f"net.core.somaxconn is {SOMAXCONN or 'unknown'}: the kernel caps every backlog below {BURST}",
)


@needs_somaxconn
def test_burst_through_one_proxy_is_queued_and_all_complete(make_proxy: ProxyFactory, backends: Backends) -> None:
    proxy = make_proxy()
    with backends.loop.frozen() as thaw, burst(proxy["listen"], BURST) as socks:
        queued = len(connected_within(socks, seconds=1.5))
        assert queued == BURST, f"only {queued} of {BURST} connects were queued while the proxy was busy"
        thaw()
        echoes = timed_echoes(blocking(socks), timeout=10)
    assert len(echoes) == BURST


@needs_somaxconn
def test_burst_on_the_control_api_is_queued(backends: Backends) -> None:
    with backends.loop.frozen(), burst(backends.url.removeprefix("http://"), BURST) as socks:
        queued = len(connected_within(socks, seconds=1.5))
    assert queued == BURST, f"only {queued} of {BURST} connects were queued while the API was busy"
