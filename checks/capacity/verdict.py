"""From a finished search to a status: the capacity found, set against the claim.

``required`` is the claim times the margin. In order:

1. ``failed``: a rate at or below ``required`` broke the SLO, twice in a row, with the generator keeping
   up and the host not saturated by other work (a failing step that low is always judged again).
2. ``passed`` when the search ended on the generator's limit or on other work, but the highest rate that
   held is at least ``required`` and held again for the confirmation's length: the claim is met, the
   capacity above it unknown ("capacity >= X vs the claim's Y: held again ... (generator-bound above it)").
3. ``inconclusive`` otherwise when the search ended on the generator's limit, on other work saturating the
   host, on a step with no request, or on a found rate that would not hold its confirmation: the figure
   is only a lower bound ("capacity >= X (generator-bound)").
4. ``passed``: the found rate (confirmed by a final hold) is at least ``required``; the search ended on
   the SLO (the bracket narrowed to the resolution), the ceiling, or ``max_duration_s``.
5. ``inconclusive`` otherwise (time ran out below ``required``, the confirmation could not run).
"""

from __future__ import annotations

from readiness_harness.checks.capacity.params import CapacityParams
from readiness_harness.checks.capacity.session import Session
from readiness_harness.checks.capacity.steps import StepResult, describe
from readiness_harness.contract.status import Status

LOWER_BOUND = {"generator": "generator-bound", "noise": "other work starved the service of CPU",
               "unmeasured": "a step was not measured", "unstable": "the found rate would not hold",
               "locust": "Locust ended early"}


def decide(params: CapacityParams, session: Session) -> tuple[Status, str]:
    """The status, and a message that opens with the measured figure against the claimed one."""
    search, stop = session.search, session.stop
    required, bad, good = params.required, search.bad, search.good
    margin = f" x margin {params.margin:g} = {required:g} req/s" if params.margin != 1 else ""
    claim = f"vs the claim's {params.claim.describe()}{margin}"
    if bad is not None and bad <= required:
        found = f"capacity {good:g} req/s" if good is not None else f"capacity below {bad:g} req/s"
        return Status.FAILED, f"{found} {claim}: the SLO broke at {bad:g} req/s ({_miss_at(session, bad)})"
    kind = stop.kind if stop is not None else "time"
    if kind in ("generator", "noise") and session.confirmed is not None and good is not None and good >= required:
        return Status.PASSED, (f"capacity >= {params.claim.in_users(good)} {claim}: held again for "
                               f"{params.confirm_s:g} s ({LOWER_BOUND[kind]} above it: {_why(session)})")
    shown = f"capacity >= {good:g} req/s" if good is not None else "no rate held"
    if kind in LOWER_BOUND:
        detail = f": {stop.detail}" if stop is not None and stop.detail else ""
        return Status.INCONCLUSIVE, f"{shown} {claim} ({LOWER_BOUND[kind]}){detail}"
    if session.confirmed is not None and good is not None and good >= required:
        figure, detail = _figure(params, session)
        return Status.PASSED, f"{figure} {claim} ({detail})"
    if good is not None and good >= required:
        return Status.INCONCLUSIVE, f"{good:g} req/s held {claim}, but was not confirmed ({_why(session)})"
    return Status.INCONCLUSIVE, f"{shown} {claim} when the search stopped ({_why(session)})"


def _figure(params: CapacityParams, session: Session) -> tuple[str, str]:
    search, stop = session.search, session.stop
    good, bad = search.good or 0.0, search.bad
    shown = params.claim.in_users(good)
    if stop is not None and stop.kind == "ceiling":
        return f"capacity >= {shown}", "the ceiling held"
    if stop is not None and stop.kind == "time" and bad is not None:
        return f"capacity >= {shown}", (f"held again for {params.confirm_s:g} s; max_duration_s ended the search "
                                        f"before it narrowed below {bad:g} req/s, where the SLO broke: "
                                        f"{_miss_at(session, bad)}")
    if bad is None:
        return f"capacity >= {shown}", "max_duration_s ended the search before the SLO broke"
    return f"capacity {shown}", f"the SLO held there and broke at {bad:g} req/s: {_miss_at(session, bad)}"


def _why(session: Session) -> str:
    stop = session.stop
    return stop.detail or stop.kind if stop is not None else "no reason recorded"


def _miss_at(session: Session, rate: float) -> str:
    step = last_at(session.steps, rate, broke=True)
    return step.reason if step is not None else "no step recorded"


def last_at(steps: list[StepResult], rate: float, *, broke: bool = False) -> StepResult | None:
    """The latest step asked at ``rate`` (the latest that broke, with ``broke``)."""
    found = [s for s in steps if s.asked == rate and (s.broke or not broke)]
    return found[-1] if found else None


def summary_line(step: StepResult) -> str:
    return f"{step.asked:g} req/s ({step.kind}): {describe(step)}"
