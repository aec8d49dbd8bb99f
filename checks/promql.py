"""The ``promql`` check type: a PromQL query against the audit's own Prometheus.

The query is evaluated now, or at the end of a named window of the audit (``window:
load:<item-id>``), with ``{window}`` in the query replaced by the window's length (``37s``).
Its value is held against bounds, or against a measurement another item recorded (the p95
a load test measured). The type runs in the fault phase, in checklist order: by then the load
tests and fault scenarios listed before it have recorded their windows and measurements.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from typing import Any

from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from pydantic import BaseModel, ConfigDict, Field, model_validator
from requests import RequestException

from readiness_harness.contract.context import CheckContext, PrometheusUnavailable
from readiness_harness.contract.evidence import Observation, Table, TimeSeries, Window
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import Capability, Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.outcome import SATURATED

WINDOW_TOKEN = "{window}"


class CompareTo(BaseModel):
    """Within ``tolerance_pct`` percent (or ``tolerance_abs`` units, if larger) of a finished item's measurement."""

    model_config = ConfigDict(extra="forbid")

    item: str = Field(description="the id of an item that ran earlier in the audit")
    measurement: str = Field(description="the name of one of its measurements (for example p95_ms)")
    tolerance_pct: float = Field(gt=0, le=1000, description="acceptable difference, percent of the measurement")
    tolerance_abs: float = Field(default=0.0, ge=0, description="absolute slack, in the measurement's unit")


class PromqlParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, description="the PromQL expression; {window} is replaced by the window's length")
    window: str | None = Field(default=None,
                               description="evaluate at the end of a recorded window, e.g. load:<item-id>")
    min: float | None = Field(default=None, description="lowest acceptable value")
    max: float | None = Field(default=None, description="highest acceptable value")
    equals: float | None = Field(default=None, description="the exact value")
    compare_to: CompareTo | None = Field(default=None, description="agree with a measurement another item recorded")
    allow_empty: bool = Field(default=False, description="an empty result passes instead of failing")

    @model_validator(mode="after")
    def _consistent(self) -> PromqlParams:
        if self.min is None and self.max is None and self.equals is None and self.compare_to is None:
            raise ValueError("give at least one of min, max, equals, compare_to")
        if WINDOW_TOKEN in self.query and self.window is None:
            raise ValueError("the query uses {window} but no window is named")
        return self


UNTRUSTED = "not compared: the other item's measurement cannot be trusted"


def finished_result(ctx: CheckContext, item_id: str) -> ItemResult | None:
    """The result of an item that already finished in this audit."""
    return ctx.audit.finished(item_id)


def window_range(window: Window) -> str:
    return f"{max(1, math.ceil(window.end - window.start))}s"


async def run_promql(params: PromqlParams, ctx: CheckContext) -> Result:
    """Query the audit's Prometheus (PromQL); expect bounds, or agreement with another item's measurement."""
    try:
        url = await ctx.prometheus().wait_ready(timeout_s=max(1.0, ctx.timeout_s - 5))
    except PrometheusUnavailable as exc:
        return Result.error(f"no Prometheus to query: {exc}")
    query, at, window = params.query, time.time(), None
    if params.window is not None:
        window = ctx.audit.windows.get(params.window)
        if window is None:
            known = ", ".join(sorted(ctx.audit.windows)) or "none"
            return Result.error(f"no window '{params.window}' was recorded in this audit (recorded: {known}); "
                                "the item that records it must be listed, and run, before this one")
        query, at = query.replace(WINDOW_TOKEN, window_range(window)), window.end
        await asyncio.sleep(max(0.0, at + 2.5 - time.time()))  # let the scrapes after the window land
    client = PrometheusConnect(url=url, disable_ssl=True, timeout=10)
    try:
        samples = await asyncio.to_thread(_instant, client, query, at)
        chart = await asyncio.to_thread(_range, client, query, window) if window else None
    except PrometheusApiClientException as exc:
        return Result.error(f"Prometheus rejected the query {query!r}: {exc}")
    except RequestException as exc:
        return Result.error(f"Prometheus at {url} did not answer: {exc}")
    return _judge(params, ctx, query, samples, chart)


def _instant(client: PrometheusConnect, query: str, at: float) -> list[tuple[str, float]]:
    data = client.custom_query(query, params={"time": f"{at:.3f}"})
    if isinstance(data, list) and len(data) == 2 and not isinstance(data[0], dict):
        return [("scalar", float(data[1]))]
    return [(_series_name(entry.get("metric", {})), float(entry["value"][1])) for entry in data]


def _range(client: PrometheusConnect, query: str, window: Window) -> TimeSeries:
    step = max(1, math.ceil((window.end - window.start) / 120))
    start, end = (dt.datetime.fromtimestamp(t, dt.UTC) for t in (window.start, window.end))
    data = client.custom_query_range(query, start_time=start, end_time=end, step=f"{step}s")
    times = sorted({float(t) for entry in data for t, _ in entry["values"]})
    series: dict[str, list[float | None]] = {}
    for entry in data[:8]:
        values = {float(t): _number(v) for t, v in entry["values"]}
        series[_series_name(entry.get("metric", {}))] = [values.get(t) for t in times]
    return TimeSeries(title="Query over the window", t=[round(t - window.start, 3) for t in times],
                      series=series, windows=[window])


def _number(text: str) -> float | None:
    value = float(text)
    return None if math.isnan(value) or math.isinf(value) else value


def _series_name(metric: dict[str, str]) -> str:
    if not metric:
        return "value"
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{metric.get('__name__', '')}{{{labels}}}"


def _judge(params: PromqlParams, ctx: CheckContext, query: str, samples: list[tuple[str, float]],
           chart: TimeSeries | None) -> Result:
    evidence: list[Any] = [Table(title="PromQL", columns=["query", "evaluated"],
                                 rows=[[query, params.window or "now"]])]
    if chart is not None:
        evidence.append(chart)
    if not samples:
        if params.allow_empty:
            return Result.passed("the query returned no series, which is allowed", *evidence)
        return Result.failed("the query returned no series (when an absent count means 0, add `or vector(0)`)",
                             *evidence)
    observations = [_bounds(params, name, value) for name, value in samples]
    if params.compare_to is not None:
        observations.append(_compare(params.compare_to, ctx, samples))
    measurements = {"value": samples[0][1]} if len(samples) == 1 and math.isfinite(samples[0][1]) else {}
    shown = ", ".join(f"{value:g}" for _, value in samples[:5])
    result = Result.from_observations(observations, *evidence, ok_message=f"{query} = {shown}", **measurements)
    untrusted = [o for o in observations if o.ok is None and str(o.observed).startswith(UNTRUSTED)]
    if result.status == Status.PASSED and untrusted:
        return result.model_copy(update={"status": Status.INCONCLUSIVE, "message": str(untrusted[0].observed)})
    return result


def _bounds(params: PromqlParams, name: str, value: float) -> Observation:
    parts, ok = [], not math.isnan(value)
    if params.min is not None:
        parts.append(f">= {params.min:g}")
        ok = ok and value >= params.min
    if params.max is not None:
        parts.append(f"<= {params.max:g}")
        ok = ok and value <= params.max
    if params.equals is not None:
        parts.append(f"= {params.equals:g}")
        ok = ok and math.isclose(value, params.equals, rel_tol=1e-9, abs_tol=1e-12)
    return Observation(label=name, observed=value if math.isfinite(value) else str(value),
                       expected=" and ".join(parts) or "any value", ok=ok if parts else None)


def _compare(compare: CompareTo, ctx: CheckContext, samples: list[tuple[str, float]]) -> Observation:
    label = f"vs {compare.item}.{compare.measurement}"
    slack = f" or {compare.tolerance_abs:g}" if compare.tolerance_abs else ""
    expected = f"within {compare.tolerance_pct:g}%{slack} of {compare.item}'s {compare.measurement}"
    other = finished_result(ctx, compare.item)
    if other is None or compare.measurement not in other.measurements:
        have = ", ".join(sorted(other.measurements)) if other else "the item has not finished"
        return Observation(label=label, observed=f"no such measurement ({have})", expected=expected, ok=False)
    if len(samples) != 1:
        return Observation(label=label, observed=f"{len(samples)} series", expected="one series", ok=False)
    if other.status in (Status.INCONCLUSIVE, Status.ERROR):  # its figure is not evidence: nothing to agree with
        return Observation(label=label, observed=f"{UNTRUSTED}: {compare.item} is {other.status.value} "
                                                 f"({other.message[:200]})", expected=expected, ok=None)
    if other.measurements.get(SATURATED):  # a client-side figure that includes the generator's wait for a CPU
        cores = other.measurements.get("host_cpu_other_cores", 0.0)
        return Observation(label=label, observed=f"{UNTRUSTED}: other work saturated the host during "
                                                 f"{compare.item} ({cores:g} cores)", expected=expected, ok=None)
    reference, value = other.measurements[compare.measurement], samples[0][1]
    gap = abs(value - reference)
    off = gap / abs(reference) * 100 if reference else (0.0 if value == 0 else math.inf)
    ok = off <= compare.tolerance_pct or gap <= compare.tolerance_abs
    return Observation(label=label, observed=f"{value:g} vs {reference:g} ({off:.1f}% apart)", expected=expected,
                       ok=ok)


EXAMPLE = """\
type: promql
window: load:checkout-load
query: sum(increase(http_requests_total{status=~"5.."}[{window}])) or vector(0)
max: 0
"""


def register(registry: Registry) -> None:
    registry.register("promql", PromqlParams, phase=Phase.FAULT, default_timeout_s=60.0,
                      needs=frozenset({Capability.PROMETHEUS}), example=EXAMPLE)(run_promql)
