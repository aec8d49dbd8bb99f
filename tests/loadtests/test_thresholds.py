"""Thresholds, one kind at a time, passing and failing, with the figure set against the limit."""

from __future__ import annotations

import pytest

from readiness_harness.loadtests.results import NameStats
from readiness_harness.loadtests.spec import Thresholds, ThresholdSet
from readiness_harness.loadtests.thresholds import check, check_all, summary


def stats(**overrides: object) -> NameStats:
    base: dict[str, object] = {"name": "read", "requests": 1000, "failures": 5, "p50_ms": 8.0, "p95_ms": 40.0,
                               "p99_ms": 120.0, "rps": 198.5, "expected": {429: 12}}
    return NameStats(**{**base, **overrides})  # type: ignore[arg-type]


@pytest.mark.parametrize(("limits", "ok", "text"), [
    ({"p50": 10}, True, "p50 8.0 ms < 10 ms"),
    ({"p50": 5}, False, "p50 8.0 ms > limit 5.0 ms"),
    ({"p95": 50}, True, "p95 40 ms < 50 ms"),
    ({"p95": 40}, False, "p95 40 ms > limit 40 ms"),  # latency limits are strict: "under 40 ms"
    ({"p99": 300}, True, "p99 120 ms < 300 ms"),
    ({"p99": 100}, False, "p99 120 ms > limit 100 ms"),
    ({"error_rate": 0.5}, True, "error_rate 0.5% <= 0.5%"),
    ({"error_rate": 0.1}, False, "error_rate 0.5% > limit 0.1%"),
    ({"min_rps": 190}, True, "rps 198.5 req/s >= 190.0 req/s"),
    ({"min_rps": 200}, False, "rps 198.5 req/s < min 200.0 req/s"),
    ({"min_expected": 1}, True, "expected statuses 12 >= 1"),
    ({"min_expected": 20}, False, "expected statuses 12 < min 20"),
    ({"max_expected": 12}, True, "expected statuses 12 <= 12"),
    ({"max_expected": 0}, False, "expected statuses 12 > limit 0"),
])
def test_each_kind_passes_and_fails(limits: dict[str, float], ok: bool, text: str):
    [verdict] = check(ThresholdSet.model_validate(limits), stats())
    assert verdict.ok is ok
    assert verdict.describe() == text


def test_only_the_limits_set_are_checked():
    assert check(ThresholdSet(), stats()) == []
    verdicts = check(ThresholdSet(p95=50, error_rate=1), stats())
    assert [v.metric for v in verdicts] == ["p95", "error_rate"]


def test_no_requests_means_not_measured_rather_than_missed():
    [verdict] = check(ThresholdSet(p95=50), stats(requests=0, failures=0, p95_ms=None))
    assert not verdict.ok and not verdict.measured and not verdict.missed
    assert "not measured" in verdict.describe()


def test_per_name_limits_and_a_name_that_never_appeared():
    thresholds = Thresholds(p95=50, per_name={"read": ThresholdSet(p99=100), "wrte": ThresholdSet(error_rate=1)})
    verdicts = check_all(thresholds, stats(name="Aggregated"), {"read": stats(), "write": stats(name="write")})
    assert [(v.label, v.ok) for v in verdicts] == [("p95", True), ("read: p99", False), ("wrte: error_rate", False)]
    assert "no requests named 'wrte'; names seen: read, write" in verdicts[2].describe()
    assert summary(verdicts).startswith("read: p99 120 ms > limit 100 ms; wrte: error_rate not measured")


def test_observation_texts():
    [verdict] = check(ThresholdSet(p95=500), stats(p95_ms=812.0))
    assert (verdict.observed_text, verdict.expected_text) == ("812 ms", "< 500 ms")


def test_users_with_an_explicit_per_user_rate_are_paced():
    from readiness_harness.loadtests.command import profile
    from readiness_harness.loadtests.spec import LoadSpec

    paced = profile(LoadSpec(locustfile="x.py", users=100, rps_per_user=1))
    assert (paced.users, paced.rate_per_user, paced.target_rps) == (100, 1, 100)
    unpaced = profile(LoadSpec(locustfile="x.py", users=100))
    assert (unpaced.rate_per_user, unpaced.target_rps) == (None, None)
