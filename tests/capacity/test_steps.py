"""A capacity step's verdict from its record and CPU samples: held, broke, starved by other work, generator-bound.

The record is written the way the harness's Locust plugin writes it (100 ms buckets of JSON lines);
the CPU samples are what the sampler would have measured. No process runs here: these are the rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness_harness.checks.capacity.params import Slo
from readiness_harness.checks.capacity.steps import Generator, judge
from readiness_harness.loadtests.noise import CPUS, CpuSample
from readiness_harness.loadtests.record import Record

T0 = 1_800_000_000.0
SLO = Slo(p95=50, error_rate=1)


def record(folder: Path, *, rate: float, latency_ms: int, seconds: float = 4.0, failures: int = 0,
           missed: int = 0) -> Record:
    per_bucket = round(rate / 10)
    lines = [{"kind": "header", "version": 1, "bucket_s": 0.1, "role": "local", "host": "h", "pid": 1}]
    first = int(T0 * 10)
    for index in range(first, first + int(seconds * 10)):
        fail = failures
        lines.append({"b": index, "users": 50, "rate": rate, "missed": missed, "iterations": per_bucket, "cpu": 20.0,
                      "names": [{"name": "read", "method": "GET", "n": per_bucket, "fail": fail,
                                 "sum": per_bucket * latency_ms, "max": latency_ms, "exp": {},
                                 "codes": {"200": per_bucket - fail, "500": fail} if fail else {"200": per_bucket},
                                 "errors": {"HTTP 500": fail} if fail else {}, "hist": {str(latency_ms): per_bucket}}]})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "record-local-h-1.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return Record(folder).refresh()


def samples(*, other: float = 0.0, target_runnable: float = 0.3, generator: float = 0.3,
            generator_runnable: float = 0.3, target_wait: float = 0.1) -> list[CpuSample]:
    host = min(CPUS, other + generator + 0.5)
    return [CpuSample(t=T0 + i, host=host, generator=generator, target=0.5, harness=0.01, target_wait=target_wait,
                      target_runnable=target_runnable, generator_runnable=generator_runnable) for i in range(1, 5)]


def verdict(tmp_path: Path, *, asked: float = 300, cpu_warning: bool = False, **kwargs):
    rec = record(tmp_path / "rec", **{k: v for k, v in kwargs.items() if k in ("rate", "latency_ms", "failures",
                                                                              "missed")})
    cpu = samples(**{k: v for k, v in kwargs.items() if k in ("other", "target_runnable", "generator",
                                                              "generator_runnable", "target_wait")})
    return judge(rec, cpu, index=1, kind="grow", asked=asked, start=T0 + 0.5, end=T0 + 3.5, slo=SLO,
                 generator=Generator(processes=1, cpu_warning=cpu_warning), target_known=True)


def test_a_step_within_the_slo_at_the_asked_rate_holds(tmp_path):
    step = verdict(tmp_path, rate=300, latency_ms=5)
    assert step.outcome == "held" and round(step.achieved) == 300 and step.stats.p95_ms == 5


def test_a_latency_miss_is_the_services_own(tmp_path):
    step = verdict(tmp_path, rate=300, latency_ms=120)
    assert step.outcome == "broke" and "p95 120 ms > limit 50 ms" in step.reason


def test_an_error_rate_miss_is_never_excused_by_other_work(tmp_path):
    step = verdict(tmp_path, rate=300, latency_ms=5, failures=1, other=1.5, target_runnable=1.0)
    assert step.outcome == "broke" and "error_rate 3.33% > limit 1%" in step.reason


def test_a_latency_miss_while_other_work_starved_the_service_is_not_its_failure(tmp_path):
    step = verdict(tmp_path, rate=300, latency_ms=120, other=1.2, target_runnable=0.97)
    assert step.outcome == "noisy" and "starved the service of CPU" in step.reason


def test_a_service_that_waited_for_the_cpu_was_starved_too(tmp_path):
    step = verdict(tmp_path, rate=300, latency_ms=120, other=0.8, target_runnable=0.8, target_wait=0.3)
    assert step.outcome == "noisy"


def test_a_throttled_service_stays_failing_beside_other_work(tmp_path):
    """A service that sleeps (a throttle, a lock) and hardly waits while others use spare CPU was not starved."""
    step = verdict(tmp_path, rate=260, latency_ms=300, asked=300, other=0.9, target_runnable=0.5)
    assert step.outcome == "broke"


def test_a_saturated_host_excuses_any_latency_miss(tmp_path):
    step = verdict(tmp_path, rate=260, latency_ms=300, asked=300, other=1.4, target_runnable=0.5)
    assert step.outcome == "noisy"


@pytest.mark.parametrize("generator", [{"generator": 0.95}, {"generator_runnable": 0.95}, {"cpu_warning": True}])
def test_a_saturated_generator_makes_the_step_say_nothing_about_the_service(tmp_path, generator):
    step = verdict(tmp_path, rate=300, latency_ms=120, **generator)
    assert step.outcome == "generator", step.reason


def test_a_shortfall_with_the_slo_held_is_the_generators(tmp_path):
    step = verdict(tmp_path, rate=200, latency_ms=5, asked=300, missed=3)
    assert step.outcome == "generator" and "raise users" in step.reason


def test_a_window_without_requests_is_not_measured(tmp_path):
    rec = Record(tmp_path / "empty")
    step = judge(rec, [], index=1, kind="grow", asked=100, start=T0, end=T0 + 3, slo=SLO,
                 generator=Generator(processes=1), target_known=True)
    assert step.outcome == "unmeasured"
