"""The ``resources`` check type: the target's processes sampled while a load of the check's own runs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.checks.resources.judge import SeriesVerdict, judge_series
from readiness_harness.checks.resources.sampler import SERIES, Series, TreeSampler
from readiness_harness.checks.resources.view import charts, summary_table
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.outcome import LoadOutcome
from readiness_harness.loadtests.runner import start_load, timeout_for
from readiness_harness.loadtests.spec import MAX_DURATION_S, LoadSpec

LABEL = "resources"
MIN_SAMPLES_AFTER_WARMUP = 5


class ResourcesParams(BaseModel):
    """Params of ``type: resources``: which processes, under which load, within which bounds."""

    model_config = ConfigDict(extra="forbid")

    processes: list[str] = Field(min_length=1, description="target processes to watch (names in the target file)")
    children: bool = Field(default=True, description="count each process's descendants with it")
    load: LoadSpec = Field(description="the Locust run the processes are watched under (the load check's fields)")
    interval_s: float = Field(default=1.0, ge=0.2, le=60, description="seconds between samples")
    warmup_s: float = Field(default=10.0, ge=0, le=3600, description="seconds from the first request before trends "
                                                                     "are fitted")
    confidence: float = Field(default=0.95, ge=0.5, le=0.999, description="of the slopes' confidence intervals")
    horizon_h: float = Field(default=24.0, gt=0, le=24 * 365,
                             description="a growth beyond doubt that reaches its limit within this many hours fails")
    max_rss_mb: float | None = Field(default=None, gt=0, description="resident memory limit, MB (per process tree)")
    max_fds: int | None = Field(default=None, ge=1, description="open file descriptor limit")
    max_threads: int | None = Field(default=None, ge=1, description="thread limit")
    max_connections: int | None = Field(default=None, ge=1, description="TCP connection limit (any state but LISTEN)")
    max_cpu_pct: float | None = Field(default=None, gt=0, description="mean CPU after the warm-up, % of one core")

    @model_validator(mode="after")
    def _long_enough(self) -> ResourcesParams:
        needed = self.warmup_s + MIN_SAMPLES_AFTER_WARMUP * self.interval_s
        if self.load.duration_s < needed:
            raise ValueError(f"load.duration_s {self.load.duration_s:g} s leaves fewer than "
                             f"{MIN_SAMPLES_AFTER_WARMUP} samples after warmup_s: make it at least {needed:g} s")
        if all(getattr(self, f"max_{name}") is None for name in SERIES):
            raise ValueError("set at least one limit (max_rss_mb, max_fds, max_threads, max_connections, "
                             "max_cpu_pct): a series without one is only shown")
        return self

    def limit(self, series: str) -> float | None:
        value = getattr(self, f"max_{series}")
        return None if value is None else float(value)


async def run_resources(params: ResourcesParams, ctx: CheckContext) -> Result:
    """Sample memory, CPU, descriptors, threads and TCP connections of target processes under load; bounds and leaks.

    The check runs its own Locust load (the ``load`` check's fields) and samples each named process of the
    target (with its descendants) every ``interval_s``. Each series is held to its limit on every sample;
    after ``warmup_s``, its least-squares slope is fitted with a confidence interval (Student's t), and a
    growth beyond doubt that would reach the limit within ``horizon_h`` is a leak, reported with the time
    it takes ("at +1.8 MB/min, 500 MB in 3 h 40 min"). A load that could not be trusted (inconclusive)
    makes a passing item inconclusive; a bound exceeded or a leak found under it still fails.
    """
    if ctx.timeout_s < params.load.duration_s + 10:
        return Result.error(f"the item's timeout ({ctx.timeout_s:g} s) is shorter than load.duration_s "
                            f"({params.load.duration_s:g} s) plus start-up; raise timeout or shorten it")
    try:
        handles = {name: ctx.target.process(name) for name in params.processes}
    except TargetError as exc:
        return Result.error(f"{exc} (the resources check watches processes the harness started)")
    samplers = {name: TreeSampler(Series(name), children=params.children) for name in params.processes}
    load = await start_load(params.load, ctx, label=LABEL)
    try:
        first = await load.flowing()
        origin = first if first is not None else time.time()
        while load.running:
            now = time.time()
            for name, sampler in samplers.items():
                sampler.sample(handles[name].pid if handles[name].alive else None, now, origin)
            await asyncio.sleep(params.interval_s)
        outcome = await load.finish()
    finally:
        await load.cancel()
    bounds = outcome.record.bounds() if outcome.record is not None else None
    last_request = bounds[1] - origin if bounds is not None else float("inf")
    series = [sampler.series.until(last_request) for sampler in samplers.values()]
    verdicts = [judge_series(s, name, params.limit(name), warmup_s=params.warmup_s, horizon_h=params.horizon_h,
                             confidence=params.confidence) for s in series for name in SERIES]
    return _result(params, verdicts, series, outcome, handles, ctx)


def _result(params: ResourcesParams, verdicts: list[SeriesVerdict], series: list[Series], outcome: LoadOutcome,
            handles: dict[str, Any], ctx: CheckContext) -> Result:
    observations = [Observation(label=v.label, observed=v.observed, expected=v.expected, ok=v.ok)
                    for v in verdicts if v.limit is not None]
    exited = [f"process '{name}' exited during the load (code {handle.returncode})"
              for name, handle in handles.items() if not handle.alive]
    evidence: list[Any] = [*observations, summary_table(verdicts, params.warmup_s),
                           *charts(series, verdicts, params.warmup_s), *outcome.evidence()]
    measurements = _measurements(verdicts)
    failed = [f"{v.label}: {v.observed}" for v in verdicts if v.ok is False] + exited
    if outcome.status == Status.ERROR:
        return Result(status=Status.ERROR, message=f"the load did not run: {outcome.message}", evidence=evidence)
    if failed:
        return Result(status=Status.FAILED, message="; ".join(failed), evidence=evidence, measurements=measurements)
    if outcome.status == Status.FAILED:
        return Result(status=Status.FAILED, message=f"the load missed its thresholds: {outcome.message}",
                      evidence=evidence, measurements=measurements)
    unmeasured = [v.label for v in verdicts if v.limit is not None and v.ok is None]
    if outcome.status == Status.INCONCLUSIVE or unmeasured:
        why = outcome.message if outcome.status == Status.INCONCLUSIVE else "not measured: " + ", ".join(unmeasured)
        return Result(status=Status.INCONCLUSIVE, message=why, evidence=evidence, measurements=measurements)
    held = "; ".join(f"{v.label} {v.observed}" for v in verdicts if v.ok)
    return Result(status=Status.PASSED, message=f"within bounds, no leak: {held}", evidence=evidence,
                  measurements=measurements)


def _measurements(verdicts: list[SeriesVerdict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for v in verdicts:
        key = f"{v.process}_{v.series}"
        if v.peak is not None:
            out[f"{key}_peak"] = round(v.peak, 2)
        if v.trend is not None:
            out[f"{key}_slope_per_min"] = round(60 * v.trend.slope, 3)
    return out


def crossref(params: ResourcesParams, ctx: CrossrefContext) -> list[Finding]:
    """Every process is one the target file starts; the locustfile exists."""
    found = [finding for n, name in enumerate(params.processes)
             for finding in ctx.process_missing(name, ("processes", n))]
    return found + ctx.file_missing(params.load.locustfile, ("load", "locustfile"), what="locustfile")


EXAMPLE = """\
type: resources
processes: [api]
load: {locustfile: locustfile.py, target_rps: 150, duration_s: 30}
warmup_s: 10
max_rss_mb: 500
max_fds: 1000
horizon_h: 24
"""


def register(registry: Registry) -> None:
    registry.register("resources", ResourcesParams, phase=Phase.LOAD,
                      default_timeout_s=timeout_for(LoadSpec(locustfile="-", duration_s=MAX_DURATION_S)),
                      example=EXAMPLE, crossref=crossref)(run_resources)
