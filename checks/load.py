"""The ``load`` check type: a Locust run against the target, judged on latency, errors and rate."""

from __future__ import annotations

from pydantic import ConfigDict

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.result import Result
from readiness_harness.loadtests.runner import run_load, timeout_for
from readiness_harness.loadtests.spec import MAX_DURATION_S, LoadSpec


class LoadParams(LoadSpec):
    """Params of ``type: load`` (see :class:`loadtests.spec.LoadSpec`)."""

    model_config = ConfigDict(extra="forbid")


DEFAULT_TIMEOUT_S = timeout_for(LoadParams(locustfile="-", duration_s=MAX_DURATION_S))


async def run_load_check(params: LoadParams, ctx: CheckContext) -> Result:
    """Run a Locust load test and check p50/p95/p99, error rate and request rate against limits.

    Locust runs as a subprocess (``--headless``); the harness reads its JSON and CSV files. With
    ``target_rps`` the harness sets users and pacing, and a run below 95% of that rate, or one
    where Locust reported its own CPU saturated, is ``inconclusive``, never ``passed``.
    """
    needed = params.duration_s + 5.0
    if ctx.timeout_s < needed:
        return Result.error(f"the item's timeout ({ctx.timeout_s:g} s) is shorter than the load test "
                            f"(duration_s {params.duration_s:g} s plus start-up); raise timeout or shorten it")
    outcome = await run_load(params, ctx)
    return outcome.result()


def crossref(params: LoadParams, ctx: CrossrefContext) -> list[Finding]:
    """The locustfile must exist."""
    return ctx.file_missing(params.locustfile, ("locustfile",), what="locustfile")


EXAMPLE = """\
type: load
locustfile: locustfile.py
users: 20
duration_s: 30
thresholds: {p95: 200, error_rate: 1}
"""


def register(registry: Registry) -> None:
    registry.register("load", LoadParams, phase=Phase.LOAD, default_timeout_s=DEFAULT_TIMEOUT_S,
                      example=EXAMPLE, crossref=crossref)(run_load_check)
