"""The operational defects against the clean service, side by side under the same bounded load.

Only separations that hold on a busy machine are asserted: the throttle never answers more than
its rate, whatever the CPU; a memo grows with the number of reads, not the time they took. The
figures themselves (sustainable rates, RSS slopes) come from ``python -m tests.sut.measure``.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from readiness_harness.system_under_test.hotpath import MEMO_BUFFER_BYTES, THROTTLE_BURST, THROTTLE_RATE
from tests.sut.conftest import Api, ApiFactory
from tests.sut.probes_ops import CPU_BOUND
from tests.sut.strain import STRAIN_ENV, RssSeries, SchedStat, portfolio_load, rss_under_load, warm

pytestmark = pytest.mark.slow

async def _offered(api: Api, rate: float, duration_s: float) -> tuple[float, float]:
    """(answered reads/s, share of the time the API ran or waited for a CPU) at an offered rate."""
    load = portfolio_load(api.port, api.keys["pro"])
    try:
        await warm(load)
        before, started = SchedStat.read(api.proc.pid), time.monotonic()
        step = await load.run(rate, duration_s)
        demand = SchedStat.read(api.proc.pid).demand_since(before, time.monotonic() - started)
    finally:
        load.close()
    return step.achieved, demand  # answered reads/s: a read that timed out lowers it


def test_the_throttle_caps_the_rate_the_clean_service_exceeds(api_factory: ApiFactory) -> None:
    clean = api_factory.start(env=STRAIN_ENV)
    collapsed = api_factory.start(defects=("capacity_collapse",), env=STRAIN_ENV)
    offered, seconds = 2 * THROTTLE_RATE, 1.5
    defect_rate, defect_demand = asyncio.run(_offered(collapsed, offered, seconds))
    clean_rate, clean_demand = asyncio.run(_offered(clean, offered, seconds))
    print(f"offered {offered:.0f}/s: clean {clean_rate:.0f}/s (CPU demand {clean_demand:.0%}), "
          f"capacity_collapse {defect_rate:.0f}/s (CPU demand {defect_demand:.0%})")
    reads = offered * seconds
    assert defect_rate <= reads / ((reads - THROTTLE_BURST) / THROTTLE_RATE) * 1.01  # 272/s at most
    if clean_rate <= THROTTLE_RATE * 1.25 and clean_demand >= CPU_BOUND:
        pytest.skip(f"the clean API answered {clean_rate:.0f}/s, short of CPU: the machine is too busy")
    assert clean_rate > THROTTLE_RATE * 1.25


def test_memory_grows_with_reads_only_under_the_leak(api_factory: ApiFactory) -> None:
    clean = api_factory.start(env=STRAIN_ENV)
    leaky = api_factory.start(defects=("memory_leak",), env=STRAIN_ENV)
    loads = {api.proc.pid: portfolio_load(api.port, api.keys["pro"]) for api in (clean, leaky)}

    async def run() -> dict[int, RssSeries]:
        try:
            for load in loads.values():
                await warm(load)
            await asyncio.gather(*(load.run(300, 2) for load in loads.values()))  # warm-up, not judged
            return await rss_under_load(loads, 150, 10, interval_s=0.5)
        finally:
            for load in loads.values():
                load.close()

    series = asyncio.run(run())
    clean_growth, leak_growth = series[clean.proc.pid].growth_mb(), series[leaky.proc.pid].growth_mb()
    print(f"1500 reads: clean {clean_growth:+.1f} MB ({series[clean.proc.pid].slope_mb_per_min():+.1f} MB/min), "
          f"memory_leak {leak_growth:+.1f} MB ({series[leaky.proc.pid].slope_mb_per_min():+.1f} MB/min)")
    expected = 1500 * MEMO_BUFFER_BYTES / 2**20  # 11.7 MB of buffers alone
    assert leak_growth >= 0.7 * expected
    assert leak_growth >= 5 * max(clean_growth, 1.0)
