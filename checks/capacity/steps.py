"""One rate step of a capacity search, judged from the live request record.

A step's verdict, in order:

``unmeasured``  no request completed in the judged window.
``generator``   the load generator was the limit: Locust warned of its CPU, a Locust process used 90% of
                a core or was runnable (running or waiting for a CPU) 90% of the time, or the SLO held
                while the achieved rate stayed under 95% of the asked one (slots missed because every
                user was busy, or requests never sent). A saturated generator also times its requests
                late, so nothing is known about the service at this rate, whatever the SLO says.
``noisy``       only latency limits missed, while other work held at least a fifth of the host's cores and
                took CPU the service wanted: the service's busiest thread was runnable (running or
                waiting for a CPU) 90% of the time, as a CPU-bound service at its limit is, or its
                threads waited for a CPU at least 0.2 s per second, or the host's CPU was saturated
                (the load check's guard). Not the service's failure: the step is judged again. A
                service slowed by something else (a throttle, a lock) sleeps much of the time and
                hardly waits, and its miss stays its own (the reference service's throttle defect was
                measured runnable 40-60% and waiting 0.06-0.16 s/s with other work holding 0.4-1.1 of
                2 cores, the host not saturated). For a target the harness did not start (its threads
                unknown), only the load check's guard applies.
``broke``       a limit of the SLO missed.
``held``        every limit held at the asked rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from readiness_harness.checks.capacity.params import Slo
from readiness_harness.loadtests.noise import CPUS, OTHER_FRACTION, CpuSample, Noise, summarise
from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.results import NameStats
from readiness_harness.loadtests.spec import ThresholdSet
from readiness_harness.loadtests.thresholds import LATENCY, Verdict, check, summary

Outcome = Literal["held", "broke", "generator", "noisy", "unmeasured"]
Kind = Literal["grow", "down", "bisect", "retry", "confirm"]
RATE_SHORTFALL = 0.95
GENERATOR_CPU_LIMIT = 0.9  # of one core per Locust process
STARVED_RUNNABLE = 0.9  # share of the time the target's busiest thread was running or waiting for a CPU
STARVED_WAIT = 0.2  # seconds per second the target's threads waited for a CPU


@dataclass(frozen=True)
class StepResult:
    """A judged step: what was asked, what came back, and why it counts as it does."""

    index: int
    kind: Kind
    asked: float
    start: float  # the judged window, wall clock (the buckets taken)
    end: float
    stats: NameStats
    verdicts: list[Verdict]
    missed: int
    noise: Noise
    outcome: Outcome
    reason: str

    @property
    def achieved(self) -> float:
        return self.stats.rps

    @property
    def held(self) -> bool:
        return self.outcome == "held"

    @property
    def broke(self) -> bool:
        return self.outcome == "broke"


@dataclass(frozen=True)
class Generator:
    """What is known about the load generator while a step ran."""

    processes: int
    cpu_warning: bool = False


def judge(record: Record, samples: Sequence[CpuSample], *, index: int, kind: Kind, asked: float, start: float,
          end: float, slo: Slo, generator: Generator, target_known: bool) -> StepResult:
    """The step's figures from the buckets wholly inside ``[start, end]`` and its verdict."""
    span = record.span(start, end, "inner")
    stats = span.aggregate_stats()
    noise = summarise(list(samples), span.start, span.end, target_known=target_known)
    limits = ThresholdSet(p50=slo.p50, p95=slo.p95, p99=slo.p99, error_rate=slo.error_rate)
    verdicts = check(limits, stats) if stats.requests else []
    outcome, reason = _verdict(stats, verdicts, span.missed, noise, asked, generator)
    return StepResult(index=index, kind=kind, asked=asked, start=span.start, end=span.end, stats=stats,
                      verdicts=verdicts, missed=span.missed, noise=noise, outcome=outcome, reason=reason)


def _verdict(stats: NameStats, verdicts: list[Verdict], missed_slots: int, noise: Noise, asked: float,
             generator: Generator) -> tuple[Outcome, str]:
    if not stats.requests:
        return "unmeasured", "no request completed in the judged window"
    saturated = _generator_saturated(noise, generator)
    if saturated:
        return "generator", saturated
    missed = [v for v in verdicts if v.missed]
    if missed and all(v.metric in LATENCY for v in missed) and starved(noise):
        return "noisy", (f"{summary(missed)} while other work starved the service of CPU (its busiest thread "
                         f"runnable {noise.target_runnable:.0%} of the time, {noise.target_wait:.2f} s/s waiting "
                         f"for a CPU; {noise.describe()})")
    if missed:
        return "broke", summary(missed)
    if stats.rps < RATE_SHORTFALL * asked:
        why = (f"every user was busy for {missed_slots} scheduled requests: raise users" if missed_slots
               else "the load generator did not send the asked rate")
        return "generator", f"achieved {stats.rps:.1f} of {asked:g} req/s with the SLO held; {why}"
    return "held", "every limit held"


def starved(noise: Noise) -> bool:
    """Other work took a real share of the host while the service wanted the CPU nearly all the time."""
    if not noise.samples:
        return False
    if noise.saturated_by_others or not noise.target_known:
        return noise.saturated_by_others
    return noise.other >= OTHER_FRACTION * CPUS and (noise.target_runnable >= STARVED_RUNNABLE
                                                     or noise.target_wait >= STARVED_WAIT)


def _generator_saturated(noise: Noise, generator: Generator) -> str:
    if generator.cpu_warning:
        return "Locust reported CPU usage above 90%"
    if not noise.samples:
        return ""
    if noise.generator_peak >= GENERATOR_CPU_LIMIT * generator.processes:
        return f"the Locust processes used {noise.generator_peak:.2f} cores at peak ({generator.processes} process(es))"
    if noise.generator_runnable >= GENERATOR_CPU_LIMIT:
        cause = "starved of CPU by other work" if noise.other >= OTHER_FRACTION * CPUS else "CPU-bound"
        return (f"a Locust process was runnable {noise.generator_runnable:.0%} of the time ({cause}; "
                f"{noise.generator:.2f} cores used)")
    return ""


def describe(step: StepResult) -> str:
    """``held``, ``SLO missed: p95 812 ms > limit 50 ms``, ``generator-bound: ...``, ``host saturated: ...``."""
    labels = {"held": "held", "broke": "SLO missed", "generator": "generator-bound", "noisy": "starved by other work",
              "unmeasured": "not measured"}
    return labels[step.outcome] if step.held else f"{labels[step.outcome]}: {step.reason}"
