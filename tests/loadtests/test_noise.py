"""The noise guard: a latency limit missed while other work saturated the host's CPU is inconclusive, never
failed; the same miss on a host with idle CPU is failed. CPU is sampled from /proc for real processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness_harness.contract.status import Status
from readiness_harness.loadtests.command import LocustFiles, profile
from readiness_harness.loadtests.noise import CPUS, CpuSample, CpuSampler, classify, processes, summarise
from readiness_harness.loadtests.outcome import analyse
from readiness_harness.loadtests.process import LocustRun
from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.runner import run_load
from readiness_harness.loadtests.spec import LoadSpec
from tests.loadtests.conftest import lingering, make_ctx
from tests.loadtests.test_windows import T0, write_record

BURN = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"


@contextlib.contextmanager
def burners(count: int, seconds: float = 40.0, *, detached: bool = True) -> Iterator[list[int]]:
    """``count`` busy loops; detached ones are re-parented away from this process (other work)."""
    pids: list[int] = []
    children: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            code = BURN.format(seconds=seconds)
            if detached:
                out = subprocess.run(["sh", "-c", f'{sys.executable} -c "$0" >/dev/null 2>&1 & echo $!', code],
                                     capture_output=True, text=True, timeout=10, check=True, start_new_session=True)
                pids.append(int(out.stdout.strip()))
            else:
                children.append(subprocess.Popen([sys.executable, "-c", code], start_new_session=True))
                pids.append(children[-1].pid)
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for child in children:
            child.wait(timeout=10)


def run_from(folder: Path) -> LocustRun:
    return LocustRun(files=LocustFiles(folder), returncode=0, started=T0, ended=T0 + 20)


def judged(folder: Path, samples: list[CpuSample]):
    spec = LoadSpec.model_validate({"locustfile": "x.py", "users": 10, "thresholds": {"p95": 100, "error_rate": 50}})
    return analyse(spec, profile(spec), run_from(folder), Record(folder), samples=samples, target_known=True)


def samples(other: float, *, host: float | None = None) -> list[CpuSample]:
    busy = CPUS if host is None else host
    return [CpuSample(t=T0 + i, host=busy, generator=0.2, target=max(0.0, busy - other - 0.3), harness=0.1)
            for i in range(1, 20)]


def test_a_latency_miss_on_a_saturated_host_is_inconclusive_with_the_figures(tmp_path: Path):
    folder = write_record(tmp_path / "r")  # p95 400 ms in the fault half: the 100 ms limit is missed
    noisy = judged(folder, samples(other=0.6 * CPUS))
    assert noisy.status == Status.INCONCLUSIVE, noisy.message
    assert "other work saturated the host's CPU" in noisy.message and "p95 400 ms > limit 100 ms" in noisy.message
    assert f"other work {0.6 * CPUS:.2f}" in noisy.message
    observation = next(e for e in noisy.evidence() if getattr(e, "label", "") == "host CPU during the load")
    assert observation.ok is False


def test_the_same_miss_on_a_quiet_host_fails(tmp_path: Path):
    folder = write_record(tmp_path / "r")
    assert judged(folder, samples(other=0.05)).status == Status.FAILED
    busy_but_ours = judged(folder, samples(other=0.05, host=CPUS))  # saturated by the target itself: its fault
    assert busy_but_ours.status == Status.FAILED
    idle_left = judged(folder, samples(other=0.6 * CPUS, host=0.7 * CPUS))  # other work, but CPU to spare
    assert idle_left.status == Status.FAILED


def test_an_error_rate_miss_is_failed_whatever_the_noise(tmp_path: Path):
    folder = write_record(tmp_path / "r")
    spec = LoadSpec.model_validate({"locustfile": "x.py", "users": 10, "thresholds": {"error_rate": 1}})
    outcome = analyse(spec, profile(spec), run_from(folder), Record(folder), samples=samples(other=CPUS))
    assert outcome.status == Status.FAILED


def test_the_sampler_tells_other_work_from_the_harness_own_processes():
    sampler = CpuSampler()
    with burners(1, 10, detached=True) as [other], burners(1, 10, detached=False) as [own], \
            burners(1, 10, detached=False) as [target], burners(1, 10, detached=True) as [generator]:
        table = processes()
        assert table[other][0] != os.getpid() and table[own][0] == os.getpid()
        groups = classify(table, {target}, {table[generator][1]})
        assert groups == ({generator}, {target}, groups[2]) and own in groups[2]
        assert other not in set().union(*groups)
        sampler.sample(time.time())
        time.sleep(1.0)
        sampler.sample(time.time())
    [sample] = sampler.samples
    assert sample.harness > 0 and sample.other > 0 and sample.host > 0
    noise = summarise(sampler.samples, 0, time.time(), target_known=False)
    assert "target unknown" in noise.describe()


@pytest.mark.slow
def test_a_real_run_beside_busy_loops_is_inconclusive_not_failed(app_url: str, tmp_path: Path):
    spec = LoadSpec.model_validate({"locustfile": "locustfiles/basic.py", "user_classes": ["SlowUser"], "users": 2,
                                    "duration_s": 4, "thresholds": {"p95": 1}})  # /slow takes 60 ms: a sure miss
    with burners(CPUS + 1):
        outcome = asyncio.run(run_load(spec, make_ctx(tmp_path, app_url)))
    assert lingering(tmp_path) == []
    assert outcome.status == Status.INCONCLUSIVE, outcome.message
    assert "other work saturated the host's CPU" in outcome.message
    assert outcome.noise is not None and outcome.noise.other >= 0.2 * CPUS
