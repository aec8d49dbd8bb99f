"""A fault scenario: steady state -> inject -> observe -> roll back (always) -> recover.

The rollback runs in a ``finally``, whatever happened during the observation: a failing
probe, an exception, or a cancellation (SIGINT/SIGTERM to the audit). Faults act on fault proxies
(Toxiproxy) or on processes the harness started for the target (kill, stop, restart); a scenario
with process faults only needs no fault proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.chaos.exceptions import ChaosError, ToxiproxyUnreachable
from readiness_harness.chaos.faults import Injector
from readiness_harness.checks.chaos.background import Background
from readiness_harness.checks.chaos.params import AlertProbe, ScenarioParams
from readiness_harness.checks.chaos.probes import first_failures, holds, run_probes
from readiness_harness.checks.shared.variables import generate
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.evidence import Observation, Timeline, TimelineEvent
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status


@dataclass
class _Run:
    started: float = field(default_factory=time.monotonic)
    events: list[TimelineEvent] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    evidence: list[Any] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def event(self, name: str, detail: str = "", ok: bool | None = None) -> None:
        self.events.append(TimelineEvent(t=round(time.monotonic() - self.started, 3), event=name, detail=detail, ok=ok))

    def observe(self, stage: str, observations: list[Observation], exchanges: list) -> bool:
        self.observations += [o.model_copy(update={"label": f"{stage}: {o.label}"}) for o in observations]
        self.evidence += first_failures(exchanges, observations)
        ok = holds(observations)
        failed = [o.label for o in observations if o.ok is False]
        self.event(f"{stage} probes", "all held" if ok else "; ".join(failed[:3]), ok)
        return ok


async def run_scenario(params: ScenarioParams, ctx: CheckContext) -> Result:
    """Fault scenario: steady state, inject (toxic, proxy down, kill/stop/restart a process), roll back, recover."""
    problem = _unknown_names(params, ctx)
    if problem:
        return Result.error(problem)
    run = _Run(variables={name: generate(kind) for name, kind in params.vars.items()})
    proxy = ctx.target.proxy
    try:
        async with contextlib.AsyncExitStack() as stack:
            toxiproxy = None
            if params.proxy_faults and proxy is not None:
                toxiproxy = await stack.enter_async_context(
                    ToxiproxyClient(proxy.url, timeout=5.0, names=proxy.server_names))
                await toxiproxy.version()
            client = await stack.enter_async_context(ctx.client(timeout_s=params.request_timeout_s))
            return await _run(params, ctx, run, toxiproxy, client, proxy.url if proxy is not None else "")
    except ToxiproxyUnreachable as exc:
        return Result.error(f"the fault proxy API is unreachable: {exc}", _timeline(run, None))


def _unknown_names(params: ScenarioParams, ctx: CheckContext) -> str:
    """Why the scenario cannot run: a proxy or process the target does not have (empty when it can)."""
    proxy = ctx.target.proxy
    if params.proxy_faults:
        if proxy is None:
            return ctx.target.proxy_error or "the target has no fault proxies (add `proxies:` to the target file)"
        unknown = sorted({str(f.proxy) for f in params.proxy_faults} - set(proxy.names))
        if unknown:
            return f"no fault proxy named {', '.join(unknown)}; the target has {', '.join(proxy.names)}"
    processes = sorted(ctx.target.processes)
    missing = sorted({str(f.process) for f in params.process_faults} - set(processes))
    if missing:
        known = ", ".join(processes) or "none (the harness did not start the target)"
        return f"no process named {', '.join(missing)}; the target's processes: {known}"
    return ""


async def _run(
    params: ScenarioParams, ctx: CheckContext, run: _Run, toxiproxy: ToxiproxyClient | None,
    client: httpx.AsyncClient, server: str,
) -> Result:
    if not run.observe("steady state", *await run_probes(client, params.steady_state, ctx, run.variables)):
        return _result(run, "the steady state did not hold before the fault; nothing was injected", None)
    background = Background(params.load, ctx) if params.load else None
    try:
        if background is not None:
            await background.baseline()
            run.event("baseline load", f"{background.load.baseline_s:g} s of load before the fault")
        injector = Injector(toxiproxy, server, ctx.target.ledger, prefix=f"harness-{ctx.item_id}", target=ctx.target)
        during_ok, rollback_problems, span = await _fault(params, ctx, run, injector, client)
        recovered_after = await _recover(params, ctx, client, run)
        if background is not None:
            judged = await background.judge(*span)
            run.observations += judged.observations
            run.evidence += judged.evidence
            run.unmeasured += judged.unmeasured
            detail = "; ".join(judged.unmeasured) or "judged on the baseline, fault and recovery windows"
            run.event("background load", detail, None if judged.unmeasured else holds(judged.observations))
            during_ok = during_ok and holds(judged.observations)
    finally:
        if background is not None:
            await background.cancel()
    message = _message(during_ok, rollback_problems, recovered_after, params.recovery.within_s)
    return _result(run, message, recovered_after)


async def _fault(
    params: ScenarioParams, ctx: CheckContext, run: _Run, injector: Injector, client: httpx.AsyncClient
) -> tuple[bool, list[str], tuple[float, float]]:
    """Inject, observe, hold; roll back in a ``finally`` whatever happened. (ok, rollback problems, span)"""
    rollback_problems: list[str] = []
    fault_started = time.time()
    try:
        for fault in params.faults:
            await injector.inject(fault)
            run.event("inject", "; ".join([fault.describe(), *injector.notes]))
            injector.notes.clear()
        await asyncio.sleep(params.settle_s)
        during_ok = run.observe("during fault", *await run_probes(client, params.during, ctx, run.variables)) \
            if params.during else True
        during_ok = await _alerts(params.alerts, ctx, run) and during_ok
        remaining = params.hold_s - (time.time() - fault_started)
        if remaining > 0:
            await asyncio.sleep(remaining)
    except (ChaosError, TargetError) as exc:
        during_ok = False
        run.event("inject failed", str(exc), False)
    finally:
        rollback_problems = await asyncio.shield(injector.rollback())
        fault_ended = time.time()
        ctx.audit.record_window(f"fault:{ctx.item_id}", fault_started, fault_ended)
        done = "; ".join(["every fault removed", *injector.notes])
        run.event("rollback", "; ".join(rollback_problems) or done, not rollback_problems)
    return during_ok, rollback_problems, (fault_started, fault_ended)


async def _alerts(alerts: list[AlertProbe], ctx: CheckContext, run: _Run) -> bool:
    if not alerts:
        return True
    from readiness_harness.checks.alert_rules import alert_firing
    from readiness_harness.contract.context import PrometheusUnavailable

    ok = True
    for alert in alerts:
        try:
            fired = await alert_firing(ctx, alert.name, within_s=alert.within_s, pending_ok=alert.pending_ok)
            outcome: bool | None = fired
            detail = "fired" if fired else f"not firing within {alert.within_s:g} s"
        except PrometheusUnavailable as exc:
            outcome, detail = None, f"not evaluated: {exc}"  # the alert_rules item reports the missing Prometheus
        run.observations.append(Observation(label=f"during fault: alert {alert.name}", observed=detail,
                                            expected="firing", ok=outcome))
        run.event(f"alert {alert.name}", detail, outcome)
        ok = ok and outcome is not False
    return ok


async def _recover(params: ScenarioParams, ctx: CheckContext, client: httpx.AsyncClient, run: _Run) -> float | None:
    probes = params.recovery.probes or params.steady_state
    started = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        observations, exchanges = await run_probes(client, probes, ctx, run.variables)
        elapsed = time.monotonic() - started
        recovered = holds(observations)
        if recovered or elapsed >= params.recovery.within_s:
            if recovered:
                run.event("recovered", f"steady state back after {elapsed:.2f} s ({attempts} attempts)", True)
            else:
                run.observe("recovery", observations, exchanges)
            observed = f"{elapsed:.2f} s" if recovered else f"not within {elapsed:.2f} s"
            run.observations.append(Observation(label="recovery", observed=observed,
                                                expected=f"<= {params.recovery.within_s:g} s", ok=recovered))
            return elapsed if recovered else None
        await asyncio.sleep(params.recovery.interval_s)


def _message(during_ok: bool, rollback_problems: list[str], recovered: float | None, within: float) -> str:
    if rollback_problems:
        return "rollback failed: " + "; ".join(rollback_problems)
    if recovered is None:
        return f"the steady state did not return within {within:g} s after rollback"
    return "" if during_ok else "the service misbehaved during the fault"


def _timeline(run: _Run, recovered: float | None) -> Timeline:
    return Timeline(
        title="Fault timeline",
        events=run.events,
        recovered_after_s=round(recovered, 3) if recovered is not None else None,
    )


def _result(run: _Run, problem: str, recovered: float | None) -> Result:
    timeline = _timeline(run, recovered)
    measurements = {"recovery_s": round(recovered, 3)} if recovered is not None else {}
    result = Result.from_observations(
        run.observations,
        timeline,
        *run.evidence,
        ok_message=f"held during the fault; recovered in {recovered or 0:.2f} s",
        **measurements,
    )
    if problem and result.status.value == "failed":
        result.message = f"{problem}: {result.message}"
    elif problem:
        result = Result.failed(problem, *result.evidence, **measurements)
    elif run.unmeasured:  # nothing failed, but a window the item asked about was never measured
        message = "background load not measured: " + "; ".join(run.unmeasured)
        result = Result(status=Status.INCONCLUSIVE, message=message, evidence=result.evidence,
                        measurements=measurements)
    return result


def crossref(params: ScenarioParams, ctx: CrossrefContext) -> list[Finding]:
    """Every fault names a fault proxy or a process of the target; a background load's locustfile exists."""
    found = [finding for n, fault in enumerate(params.faults)
             for finding in (ctx.proxy_missing(fault.proxy, ("faults", n, "proxy")) if fault.proxy is not None
                             else ctx.process_missing(str(fault.process), ("faults", n, "process")))]
    if params.load is not None:
        found += ctx.file_missing(params.load.spec.locustfile, ("load", "spec", "locustfile"), what="locustfile")
    return found


EXAMPLE = """\
type: chaos
steady_state:
  - {name: read, request: {path: /v1/orders/42}, expect: {status: 200}}
faults:
  - proxy: database
    toxic: {type: latency, attributes: {latency: 2000}}
during:
  - name: answers within the timeout
    request: {path: /v1/orders/42}
    expect: {status: [200, 503], max_latency_ms: 1500}
hold_s: 5
recovery: {within_s: 10}
"""


def register(registry: Registry) -> None:
    registry.register("chaos", ScenarioParams, phase=Phase.FAULT, default_timeout_s=180, example=EXAMPLE,
                      crossref=crossref)(run_scenario)
