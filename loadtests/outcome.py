"""From one Locust run to a verdict: the record's figures, thresholds, and the guards around them.

Status rules, in order:

1. Locust did not run, crashed, made no request, or overran its time: ``error`` with its message.
2. The generator was saturated (Locust's CPU warning, or a generator process above 90% of a
   core in the harness's own samples): ``inconclusive``.
3. The record misses requests Locust counted: ``inconclusive`` (its figures would be partial).
4. ``target_rps`` set and the rate achieved after ramp-up above 105% of it: ``inconclusive``
   (limits met or missed under more load than asked prove nothing about the asked load).
5. A limit other than latency missed (whole run or a window): ``failed``.
6. A latency limit missed: ``failed``, unless other work saturated the host's CPU meanwhile
   (see :mod:`loadtests.noise`): then ``inconclusive`` with the CPU figures.
7. ``target_rps`` set and the rate achieved below 95% of it: ``inconclusive``.
8. A limit not measured (a window, or a name, with no request): ``inconclusive``.
9. Otherwise ``passed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from readiness_harness.contract.redaction import redact_text
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loadtests import evidence as ev
from readiness_harness.loadtests.command import Profile
from readiness_harness.loadtests.history import ExceptionRow, parse_exceptions
from readiness_harness.loadtests.noise import CpuSample, Noise, summarise
from readiness_harness.loadtests.process import LocustRun
from readiness_harness.loadtests.record import Record, Span
from readiness_harness.loadtests.results import LoadStats, locust_total
from readiness_harness.loadtests.spec import LoadSpec
from readiness_harness.loadtests.thresholds import LATENCY, Verdict, check_all, summary
from readiness_harness.loadtests.windows import WindowAsk, WindowResult, evaluate_window

RATE_TOLERANCE = 0.05
#: Measurement set to 1 when other work saturated the host during the window: the load's latency figures
#: then include the generator's own waiting for a CPU, and another item comparing with them cannot trust them.
SATURATED = "host_saturated_by_others"
GENERATOR_CPU_LIMIT = 0.9  # of one core: a Locust process is single-threaded


@dataclass
class LoadOutcome:
    """One load run, judged. ``window()`` evaluates thresholds on any span of it afterwards."""

    status: Status
    message: str
    spec: LoadSpec
    profile: Profile
    run: LocustRun | None = None
    record: Record | None = None
    stats: LoadStats | None = None
    steady: Span | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    windows: dict[str, WindowResult] = field(default_factory=dict)
    exceptions: list[ExceptionRow] = field(default_factory=list)
    noise: Noise | None = None
    marks: dict[str, float] = field(default_factory=dict)
    locust_requests: int | None = None
    run_dir: Path | None = None

    @property
    def achieved_rps(self) -> float | None:
        return None if self.steady is None else self.steady.aggregate_stats().rps

    def window(self, ask: WindowAsk) -> WindowResult:
        if self.record is None:
            raise ValueError("no record: Locust did not run")
        return evaluate_window(self.record, ask, self.spec.thresholds)

    @property
    def measurements(self) -> dict[str, float]:
        if self.stats is None:
            return {}
        agg = self.stats.aggregate
        out = {"requests": float(agg.requests), "failures": float(agg.failures),
               "rps": round(self.achieved_rps or agg.rps, 2), "users": float(self.profile.users)}
        for key, value in (("p50_ms", agg.p50_ms), ("p95_ms", agg.p95_ms), ("p99_ms", agg.p99_ms),
                           ("error_rate_pct", agg.error_rate_pct)):
            if value is not None:
                out[key] = round(value, 3)
        if self.profile.target_rps is not None:
            out["target_rps"] = self.profile.target_rps
        for status, count in sorted(agg.expected.items()):
            out[f"expected_{status}"] = float(count)
        if self.noise is not None and self.noise.samples:
            out["host_cpu_other_cores"] = round(self.noise.other, 2)
            out[SATURATED] = 1.0 if self.noise.saturated_by_others else 0.0
        return out

    def evidence(self) -> list[Any]:
        items: list[Any] = ev.verdict_observations(self.verdicts)
        if self.stats is not None and self.record is not None:
            items.append(ev.rate_observation(self.achieved_rps or 0.0, self.profile.target_rps, RATE_TOLERANCE))
            if self.noise is not None and self.noise.samples:
                items.append(ev.noise_observation(self.noise))
            items.append(ev.requests_table(self.stats, self.record.whole()))
            failures = ev.failures_table(self.record.whole())
            if failures is not None:
                items.append(failures)
        if self.exceptions:
            items.append(ev.exceptions_table(self.exceptions))
        if self.windows:
            items.append(ev.windows_table(list(self.windows.values())))
        if self.record is not None:
            series = ev.time_series(self.record, list(self.windows.values()), self.marks)
            if series is not None:
                items.append(series)
        if self.run is not None and self.run_dir is not None:
            link = ev.report_link(self.run.files.html, self.run_dir)
            if link is not None:
                items.append(link)
        return items

    def result(self) -> Result:
        return Result(status=self.status, message=self.message, evidence=self.evidence(),
                      measurements=self.measurements)


def analyse(spec: LoadSpec, prof: Profile, run: LocustRun, record: Record, *, windows: Sequence[WindowAsk] = (),
            marks: Mapping[str, float] | None = None, samples: Sequence[CpuSample] = (), target_known: bool = False,
            secrets: Iterable[str] = (), run_dir: Path | None = None) -> LoadOutcome:
    """Judge one run from its record (see the module docstring for the rules)."""
    hidden = tuple(secrets)
    outcome = LoadOutcome(status=Status.ERROR, message="", spec=spec, profile=prof, run=run, run_dir=run_dir,
                          marks=dict(marks or {}))
    if not run.wrote_results:
        what = (f"Locust did not finish within {run.limit_s:g} s and wrote no results" if run.timed_out
                else f"Locust exited with code {run.returncode} without writing results")
        outcome.message = redact_text(f"{what}: {run.failure_message()}", hidden)
        return outcome
    whole = record.refresh().whole()
    outcome.record, outcome.steady = record, record.steady(prof.ramp_s)
    outcome.stats = LoadStats(names=whole.name_stats(), aggregate=whole.aggregate_stats())
    outcome.exceptions = parse_exceptions(run.files.csv("exceptions"))
    outcome.locust_requests = locust_total(run.files.json)
    outcome.noise = summarise(list(samples), outcome.steady.start, outcome.steady.end, target_known=target_known)
    steady = replace(outcome.stats.aggregate, rps=outcome.achieved_rps or 0.0)  # the rate limit reads the steady rate
    outcome.verdicts = check_all(spec.thresholds, steady, outcome.stats.names)
    outcome.windows = {ask.label: evaluate_window(record, ask, spec.thresholds) for ask in windows}
    status, message = _decide(outcome, run)
    outcome.status, outcome.message = status, redact_text(message + _notes(outcome), hidden)
    return outcome


def _decide(outcome: LoadOutcome, run: LocustRun) -> tuple[Status, str]:
    assert outcome.stats is not None
    agg, target, achieved = outcome.stats.aggregate, outcome.profile.target_rps, outcome.achieved_rps or 0.0
    if agg.requests == 0:
        detail = outcome.exceptions[0].message if outcome.exceptions else run.failure_message(5)
        return Status.ERROR, f"Locust made no requests: {detail}"
    if run.timed_out:
        return Status.ERROR, f"Locust did not finish within {run.limit_s:g} s and was stopped"
    verdicts = [*outcome.verdicts, *(v for w in outcome.windows.values() for v in w.verdicts)]
    missed = [v for v in verdicts if v.missed]
    rate = f"{achieved:.1f} req/s" + (f" of target {target:g} req/s" if target is not None else "")
    tail = f"; thresholds missed: {summary(missed)}" if missed else ""
    saturated = _generator_saturated(outcome, run)
    if saturated:
        return Status.INCONCLUSIVE, f"load generator saturated: {saturated} ({rate}){tail}"
    lost = _lost(outcome)
    if lost:
        return Status.INCONCLUSIVE, lost + tail
    if target is not None and achieved > (1 + RATE_TOLERANCE) * target:
        return Status.INCONCLUSIVE, (f"achieved rate {achieved:.1f} req/s is above {1 + RATE_TOLERANCE:.0%} of the "
                                     f"target {target:g} req/s: the asked load was not what ran{tail}")
    short = target is not None and achieved < (1 - RATE_TOLERANCE) * target
    if missed:
        return _missed(outcome, missed, f" (target rate not reached: {rate})" if short else "")
    if short:
        missed_slots = outcome.steady.missed if outcome.steady is not None else 0
        why = (f"every user was busy for {missed_slots} scheduled requests: raise users (or lower rps_per_user)"
               if missed_slots else "the load generator or the profile was the bottleneck")
        return Status.INCONCLUSIVE, (f"target rate not reached: {rate} after ramp-up, below "
                                     f"{1 - RATE_TOLERANCE:.0%}; {why}, so these figures cannot pass the item")
    unmeasured = [v for v in verdicts if not v.measured]
    if unmeasured:
        return Status.INCONCLUSIVE, "not measured: " + summary(unmeasured)
    return Status.PASSED, _passed_message(outcome, rate)


def _missed(outcome: LoadOutcome, missed: list[Verdict], note: str) -> tuple[Status, str]:
    """Limits missed: failed, unless they are all latency limits and other work saturated the host."""
    if any(v.metric not in LATENCY for v in missed):
        return Status.FAILED, summary(missed) + note
    if outcome.noise is not None and outcome.noise.saturated_by_others:
        return Status.INCONCLUSIVE, (f"latency limit missed while other work saturated the host's CPU, so the "
                                     f"figure says nothing about the service: {summary(missed)}; "
                                     f"{outcome.noise.describe()}")
    return Status.FAILED, summary(missed) + note


def _generator_saturated(outcome: LoadOutcome, run: LocustRun) -> str:
    if run.cpu_warning():
        return "Locust reported CPU usage above 90%"
    noise = outcome.noise
    if noise is not None and noise.samples and noise.generator_peak >= GENERATOR_CPU_LIMIT * _generator_processes(
            outcome):
        return f"the Locust processes used {noise.generator_peak:.2f} cores at peak"
    return ""


def _generator_processes(outcome: LoadOutcome) -> int:
    spec = outcome.spec
    if spec.processes and spec.processes > 1:
        return spec.processes
    return 1 + (spec.workers.local if spec.workers is not None else 0)


def _lost(outcome: LoadOutcome) -> str:
    counted, recorded = outcome.locust_requests, outcome.stats.aggregate.requests if outcome.stats else 0
    if counted is None or recorded >= counted * (1 - 0.01):
        return ""
    return (f"the request record holds {recorded} requests but Locust counted {counted}: a worker's record did "
            f"not reach the harness, so the figures would be partial")


def _notes(outcome: LoadOutcome) -> str:
    """What a reviewer should know beside the verdict: locustfile exceptions."""
    if outcome.exceptions and outcome.stats is not None and outcome.stats.aggregate.requests:
        count = sum(e.count for e in outcome.exceptions)
        return f"; the locustfile raised {count} exception(s), first: {outcome.exceptions[0].message}"
    return ""


def _passed_message(outcome: LoadOutcome, rate: str) -> str:
    agg = outcome.stats.aggregate if outcome.stats else None
    shown = ", ".join(f"{v.label} {v.observed_text} ({v.expected_text})" for v in outcome.verdicts)
    count = f"{agg.requests} requests" if agg else ""
    return f"{count} at {rate}" + (f": {shown}" if shown else "")
