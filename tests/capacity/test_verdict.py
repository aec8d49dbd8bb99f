"""A finished search set against the claim (pure): a claim met below a generator-bound or contended search."""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from readiness_harness.checks.capacity.check import EXAMPLE
from readiness_harness.checks.capacity.params import CapacityParams
from readiness_harness.checks.capacity.search import Search
from readiness_harness.checks.capacity.session import Stop
from readiness_harness.checks.capacity.steps import StepResult
from readiness_harness.checks.capacity.verdict import decide
from readiness_harness.contract.status import Status

PARAMS = CapacityParams.model_validate({k: v for k, v in yaml.safe_load(EXAMPLE).items() if k != "type"}
                                       | {"claim": {"rps": 400}})


@dataclass
class Finished:
    """What ``decide`` reads of a session."""

    search: Search
    stop: Stop | None
    confirmed: StepResult | None = None
    steps: list[StepResult] = field(default_factory=list)


def searched(held: list[float], broke: list[float] = ()) -> Search:
    search = Search(start=100, growth=1.6, ceiling=2000, resolution=0.1, required=PARAMS.required)
    for rate in held:
        search.judged(rate, True)
    for rate in broke:
        search.judged(rate, False)
    return search


CONFIRMED = object()


def test_a_claim_held_and_held_again_below_a_generator_limit_is_passed():
    for kind in ("generator", "noise"):
        finished = Finished(searched([100, 160, 256, 409.6]), Stop(kind, "at 655.4 req/s"), confirmed=CONFIRMED)
        status, message = decide(PARAMS, finished)  # type: ignore[arg-type]
        assert status == Status.PASSED, message
        assert message.startswith("capacity >= 410 req/s vs the claim's 400 req/s: held again"), message
        assert "above it" in message


def test_without_the_second_hold_or_below_the_claim_it_stays_a_lower_bound():
    unconfirmed = Finished(searched([100, 160, 256, 409.6]), Stop("generator", "at 655.4 req/s"))
    below = Finished(searched([100, 160, 256]), Stop("generator", "at 409.6 req/s"), confirmed=CONFIRMED)
    for finished in (unconfirmed, below):
        status, message = decide(PARAMS, finished)  # type: ignore[arg-type]
        assert status == Status.INCONCLUSIVE and "generator-bound" in message, message


def test_a_search_out_of_time_passes_the_claim_only_on_a_confirmed_rate():
    out_of_time = Stop("time", "max_duration_s 60 s left no time for a step at 688 req/s and the confirmation")
    confirmed = Finished(searched([250, 400, 640], [736]), out_of_time, confirmed=CONFIRMED)
    status, message = decide(PARAMS, confirmed)  # type: ignore[arg-type]
    assert status == Status.PASSED and message.startswith("capacity >= 640 req/s vs the claim's 400 req/s"), message
    assert "ended the search before it narrowed below 736 req/s" in message
    unconfirmed = Finished(searched([250, 400, 640], [736]), out_of_time)
    status, message = decide(PARAMS, unconfirmed)  # type: ignore[arg-type]
    assert status == Status.INCONCLUSIVE and "was not confirmed" in message, message
