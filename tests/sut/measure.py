"""``python -m tests.sut.measure capacity|table|leak``: the strain figures for the reference service.

Starts two upstream stand-ins and two APIs (clean and with the defect) on loopback, measures
both with the same load, prints the figures and stops every process it started. ``capacity``
searches each service's sustainable rate as the harness's capacity check would (x1.5 steps,
then bisection); ``table`` runs fixed rates against both services in turn, several times, and
keeps each rate's best p95 (other work on the machine only ever makes a step worse, so the best
of a few interleaved tries is the service's own figure); ``leak`` loads both at one rate while
sampling their RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from tests.sut.conftest import ApiFactory, Upstream, Upstreams, base_env, free_port, spawn, stop_process, wait_until_up
from tests.sut.loadgen import Step
from tests.sut.strain import STRAIN_ENV, Slo, portfolio_load, rss_under_load, sustainable_rate, warm


def start_upstreams(log_dir: Path) -> Upstreams:
    started = []
    for name in ("primary", "fallback"):
        port = free_port()
        proc = spawn("readiness_harness.system_under_test.upstream",
                     ["--host", "127.0.0.1", "--port", str(port), "--name", name], env=base_env(),
                     log_path=log_dir / f"{name}.log")
        started.append(Upstream(name, port, proc))
    for upstream in started:
        wait_until_up(f"{upstream.url}/health", upstream.proc, log_dir / f"{upstream.name}.log")
    return Upstreams(*started)


async def capacity(factory: ApiFactory, defect: str, hold_s: float, p95_ms: float) -> None:
    for defects in ((), (defect,)):
        api = factory.start(defects=defects, env=STRAIN_ENV)
        load = portfolio_load(api.port, api.keys["pro"])
        await warm(load)
        log: list[str] = []
        found = await sustainable_rate(load, Slo(p95_ms=p95_ms), start=100, ceiling=3000, hold_s=hold_s, log=log)
        load.close()
        print(f"== {defects or 'clean'}: sustainable {found:.0f} req/s (p95 <= {p95_ms} ms)")
        print("\n".join(log), flush=True)
        stop_process(api.proc)


async def table(factory: ApiFactory, defect: str, rates: list[float], hold_s: float, repeats: int) -> None:
    apis = {name: factory.start(defects=defects, env=STRAIN_ENV) for name, defects in
            (("clean", ()), (defect, (defect,)))}
    loads = {name: portfolio_load(api.port, api.keys["pro"]) for name, api in apis.items()}
    best: dict[tuple[str, float], Step] = {}
    for load in loads.values():
        await warm(load)
    for _ in range(repeats):
        for rate in rates:
            for name, load in loads.items():
                await load.run(rate, 1.0)  # warm-up at the step's rate
                step = await load.run(rate, hold_s)
                if (name, rate) not in best or step.percentile(95) < best[name, rate].percentile(95):
                    best[name, rate] = step
                await asyncio.sleep(2.0)  # a backlog drains before the next step
    for name in loads:
        print(f"== {name}: best of {repeats} x {hold_s:g} s per rate")
        print("\n".join(best[name, rate].summary() for rate in rates), flush=True)
    for load in loads.values():
        load.close()


async def leak(factory: ApiFactory, defect: str, rate: float, duration_s: float, warmup_s: float) -> None:
    apis = {name: factory.start(defects=defects, env=STRAIN_ENV) for name, defects in
            (("clean", ()), (defect, (defect,)))}
    loads = {api.proc.pid: portfolio_load(api.port, api.keys["pro"]) for api in apis.values()}
    for load in loads.values():
        await warm(load)
    series = await rss_under_load(loads, rate, duration_s)
    for name, api in apis.items():
        s = series[api.proc.pid]
        print(f"== {name}: RSS {s.rss_mb[0]:.1f} -> {s.rss_mb[-1]:.1f} MB; slope after {warmup_s:g} s "
              f"{s.slope_mb_per_min(warmup_s):+.2f} MB/min; growth after warm-up {s.growth_mb(warmup_s):+.1f} MB")
        print("   " + " ".join(f"{r:.0f}" for r in s.rss_mb))
    for load in loads.values():
        load.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.sut.measure", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["capacity", "table", "leak"])
    parser.add_argument("--rates", default="200,300,400,600,800,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--hold-s", type=float, default=4.0)
    parser.add_argument("--p95-ms", type=float, default=50.0)
    parser.add_argument("--rate", type=float, default=150.0)
    parser.add_argument("--duration-s", type=float, default=60.0)
    parser.add_argument("--warmup-s", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sut-measure-") as tmp:
        upstreams = start_upstreams(Path(tmp))
        factory = ApiFactory(Path(tmp), upstreams)
        try:
            if args.what == "capacity":
                asyncio.run(capacity(factory, "capacity_collapse", args.hold_s, args.p95_ms))
            elif args.what == "table":
                rates = [float(rate) for rate in args.rates.split(",")]
                asyncio.run(table(factory, "capacity_collapse", rates, args.hold_s, args.repeats))
            else:
                asyncio.run(leak(factory, "memory_leak", args.rate, args.duration_s, args.warmup_s))
        finally:
            factory.stop_all()
            stop_process(upstreams.primary.proc)
            stop_process(upstreams.fallback.proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
