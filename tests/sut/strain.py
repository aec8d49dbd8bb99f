"""Strain measurements of the reference service: sustainable rate and memory growth under load.

Shared by the tests (short, bounded runs with generous qualitative margins) and by
``python -m tests.sut.measure`` (longer runs that print the figures). A service is judged the
way the harness's capacity and resource checks judge it: open-model rate steps against cached
portfolio reads, an SLO on p95 and errors; RSS sampled from ``/proc/<pid>/status`` during a
constant-rate load, and its slope fitted after a warm-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from tests.sut.loadgen import OpenLoad, Step

CHAINS = ("ethereum", "polygon", "arbitrum", "optimism", "base")
WALLETS = 16  # as the reference load test: after one read each, every read is a cache hit
# The reference target's settings (system_under_test/target.yaml), with rate limits lifted so that
# the limiter never caps what is being measured.
STRAIN_ENV: dict[str, str] = {
    "CACHE_TTL_S": "3",
    "RATE_LIMIT_PRO_RPS": "100000",
    "RATE_LIMIT_PRO_BURST": "100000",
    "RATE_LIMIT_IP_RPS": "100000",
    "RATE_LIMIT_IP_BURST": "100000",
}


def wallet_path(index: int) -> str:
    """The same stable wallets as the reference locustfiles (loadtests/common.py)."""
    i = index % WALLETS
    digest = hashlib.sha256(f"harness-wallet-{i}".encode()).hexdigest()[:40]
    return f"/v1/wallets/{CHAINS[i % len(CHAINS)]}/0x{digest}/portfolio"


def portfolio_load(port: int, api_key: str) -> OpenLoad:
    return OpenLoad(port, {"X-API-Key": api_key}, wallet_path)


@dataclass(frozen=True)
class Slo:
    p95_ms: float = 50.0
    max_error_rate: float = 0.005
    min_achieved: float = 0.9  # of the asked rate

    def holds(self, step: Step) -> bool:
        return (step.percentile(95) <= self.p95_ms and step.error_rate <= self.max_error_rate
                and step.achieved >= self.min_achieved * step.rate)


async def warm(load: OpenLoad) -> None:
    """One read of every wallet, so that what follows reads the cache."""
    await load.run(WALLETS * 2.0, 1.0)


async def sustainable_rate(load: OpenLoad, slo: Slo, *, start: float, ceiling: float, hold_s: float,
                           resolution: float = 0.1, log: list[str] | None = None) -> float:
    """Highest rate at which ``slo`` holds: x1.5 steps from ``start``, then bisection to ``resolution``.

    Returns 0 when even ``start`` breaks the SLO, ``ceiling`` when nothing below it does.
    """
    good, bad = 0.0, ceiling
    rate = start
    while rate < ceiling:
        step = await _judged(load, rate, hold_s, log)
        if not slo.holds(step):
            bad = rate
            break
        good, rate = rate, rate * 1.5
    else:
        return ceiling
    while good and (bad - good) / good > resolution:
        middle = (good + bad) / 2
        if slo.holds(await _judged(load, middle, hold_s, log)):
            good = middle
        else:
            bad = middle
    return good


async def _judged(load: OpenLoad, rate: float, hold_s: float, log: list[str] | None) -> Step:
    await load.run(rate, min(1.0, hold_s / 4))  # warm-up at the step's rate, not judged
    step = await load.run(rate, hold_s)
    if log is not None:
        log.append(step.summary())
    await asyncio.sleep(0.3)  # let the queue drain before the next step
    return step


@dataclass(frozen=True)
class SchedStat:
    """A thread's scheduler counters (``/proc/<pid>/schedstat``): time on a CPU, time waiting for one."""

    on_cpu_s: float
    waiting_s: float

    @classmethod
    def read(cls, pid: int) -> SchedStat:
        on_cpu, waiting, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
        return cls(int(on_cpu) / 1e9, int(waiting) / 1e9)

    def demand_since(self, before: SchedStat, wall_s: float) -> float:
        """Share of ``wall_s`` the thread ran or was ready to run: near 1 when the CPU, not the
        thread's own waits (a throttle, a lock, I/O), was what limited it."""
        used = (self.on_cpu_s - before.on_cpu_s) + (self.waiting_s - before.waiting_s)
        return used / wall_s if wall_s > 0 else 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for pid {pid}")


@dataclass(frozen=True)
class RssSeries:
    times_s: tuple[float, ...]
    rss_mb: tuple[float, ...]

    def slope_mb_per_min(self, after_s: float = 0.0) -> float:
        """Least-squares slope of the samples taken after ``after_s`` seconds, in MB per minute."""
        points = [(t, r) for t, r in zip(self.times_s, self.rss_mb, strict=True) if t >= after_s]
        if len(points) < 3:
            raise ValueError("too few samples for a slope")
        mean_t = sum(t for t, _ in points) / len(points)
        mean_r = sum(r for _, r in points) / len(points)
        covariance = sum((t - mean_t) * (r - mean_r) for t, r in points)
        variance = sum((t - mean_t) ** 2 for t, _ in points)
        return covariance / variance * 60

    def growth_mb(self, after_s: float = 0.0) -> float:
        kept = [r for t, r in zip(self.times_s, self.rss_mb, strict=True) if t >= after_s]
        return kept[-1] - kept[0]


async def rss_under_load(loads: dict[int, OpenLoad], rate: float, duration_s: float, *,
                         interval_s: float = 1.0) -> dict[int, RssSeries]:
    """Load each pid's service at ``rate`` at once, sampling every pid's RSS every ``interval_s``."""
    samples: dict[int, list[tuple[float, float]]] = {pid: [] for pid in loads}
    started = time.monotonic()

    async def sample() -> None:
        while True:
            for pid, series in samples.items():
                series.append((time.monotonic() - started, rss_mb(pid)))
            await asyncio.sleep(interval_s)

    sampler = asyncio.ensure_future(sample())
    try:
        await asyncio.gather(*(load.run(rate, duration_s) for load in loads.values()))
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
    return {pid: RssSeries(tuple(t for t, _ in s), tuple(r for _, r in s)) for pid, s in samples.items()}
