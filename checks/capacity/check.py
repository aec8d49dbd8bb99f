"""The ``capacity`` check type: one Locust run stepped through rising request rates, judged step by step."""

from __future__ import annotations

import time

from readiness_harness.checks.capacity.evidence import evidence
from readiness_harness.checks.capacity.params import MAX_DURATION_S, CapacityParams
from readiness_harness.checks.capacity.session import Session
from readiness_harness.checks.capacity.verdict import decide
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.evidence import report_link
from readiness_harness.loadtests.runner import start_load
from readiness_harness.loadtests.spec import LoadSpec

LABEL = "capacity"
STOP_MARGIN_S = 3.0  # of max_duration_s, kept for Locust to stop and write its reports
TIMEOUT_MARGIN_S = 45.0  # Locust's start-up wait and stop, beyond max_duration_s
FIRST_REQUEST_S = 30.0


def load_spec(params: CapacityParams) -> LoadSpec:
    """The one Locust run: every user started at once, paced at ``start_rps`` until the first step."""
    users = params.user_count
    return LoadSpec(locustfile=params.locustfile, user_classes=params.user_classes, users=users,
                    spawn_rate=float(users), duration_s=params.max_duration_s, target_rps=params.start,
                    processes=params.processes, workers=params.workers, env=params.env, host=params.host)


async def run_capacity(params: CapacityParams, ctx: CheckContext) -> Result:
    """Find the highest request rate at which the SLO holds (rising rate steps, then bisection), against a claim.

    One Locust run, its asked rate changed step by step through the plugin's control file: the rate grows
    by ``growth`` from ``start_rps`` until a step misses the SLO (or the ceiling holds), then the search
    bisects between the last rate that held and the first that broke, asking the claim's rate directly
    when it lies between them, and confirms the rate found with a longer hold. Each step is judged from
    the request record after a warm-up. The generator reaching its limit first, or other work saturating
    the host, makes the figure a lower bound and the item ``inconclusive``, never ``failed``; it is ``passed``
    only when the rate that held is at least the claim's and holds again for ``confirm_s``.
    """
    if ctx.timeout_s < params.max_duration_s + 5:
        return Result.error(f"the item's timeout ({ctx.timeout_s:g} s) is shorter than max_duration_s "
                            f"({params.max_duration_s:g} s) plus Locust's start-up; raise timeout or shorten it")
    began = time.monotonic()
    load = await start_load(load_spec(params), ctx, label=LABEL)
    if load.task is None:
        return Result.error(load.error)
    session = Session(params, ctx, load, deadline=began + params.max_duration_s - STOP_MARGIN_S)
    try:
        first = await load.flowing(FIRST_REQUEST_S)
        if first is not None:
            session.started = time.monotonic()
            await session.run()
        run = await load.stop()
    finally:
        await load.cancel()
    if first is None or run is None:
        detail = run.failure_message(5) if run is not None else load.error
        return Result.error(f"Locust made no request within {FIRST_REQUEST_S:g} s: {detail}")
    status, message = decide(params, session)
    items = evidence(params, session, load.record.refresh(), passed={Status.PASSED: True, Status.FAILED: False}
                     .get(status))
    link = report_link(run.files.html, ctx.audit.run_dir)
    if link is not None:
        items.append(link)
    measurements = {"required_rps": params.required, "claim_rps": params.claim.rate, "steps": float(len(session.steps))}
    if session.search.good is not None:
        measurements["capacity_rps"] = session.search.good
    if session.search.bad is not None:
        measurements["first_miss_rps"] = session.search.bad
    return Result(status=status, message=message, evidence=items, measurements=measurements)


def crossref(params: CapacityParams, ctx: CrossrefContext) -> list[Finding]:
    """The locustfile must exist."""
    return ctx.file_missing(params.locustfile, ("locustfile",), what="locustfile")


EXAMPLE = """\
type: capacity
locustfile: locustfile.py
slo: {p95: 50, error_rate: 1}
claim: {users: 100, rps_per_user: 4}
margin: 1.0
start_rps: 100
ceiling_rps: 2000
max_duration_s: 90
"""


def register(registry: Registry) -> None:
    registry.register("capacity", CapacityParams, phase=Phase.LOAD, default_timeout_s=MAX_DURATION_S + TIMEOUT_MARGIN_S,
                      example=EXAMPLE, crossref=crossref)(run_capacity)
