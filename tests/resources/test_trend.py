"""Slopes with Student-t confidence intervals, computed without scipy, against published table values."""

from __future__ import annotations

import random

import pytest

from readiness_harness.checks.resources.trend import duration, fit, incomplete_beta, t_quantile


@pytest.mark.parametrize(("p", "df", "table"), [(0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 5, 2.571),
                                                (0.975, 10, 2.228), (0.975, 30, 2.042), (0.95, 5, 2.015),
                                                (0.995, 20, 2.845), (0.975, 1000, 1.962)])
def test_t_quantiles_match_the_tables(p, df, table):
    assert t_quantile(p, df) == pytest.approx(table, abs=0.001)


def test_the_incomplete_beta_function_at_known_points():
    assert incomplete_beta(1, 1, 0.3) == pytest.approx(0.3)
    assert incomplete_beta(2, 2, 0.5) == pytest.approx(0.5)
    assert incomplete_beta(0.5, 0.5, 0.5) == pytest.approx(0.5)


def test_a_steady_growth_is_found_within_its_interval():
    rng = random.Random(7)
    t = [i * 0.5 for i in range(40)]
    y = [80 + 1.25 * x + rng.gauss(0, 0.3) for x in t]
    trend = fit(t, y, 0.95)
    assert trend is not None and trend.low < 1.25 < trend.high and trend.significant


def test_noise_around_a_flat_line_is_rarely_a_significant_growth():
    """At 99% confidence, a flat noisy series looks like a growth in about 0.5% of the runs."""
    significant = 0
    for seed in range(200):
        rng = random.Random(seed)
        trend = fit(list(range(30)), [50 + rng.gauss(0, 1) for _ in range(30)], 0.99)
        significant += trend is not None and trend.significant
    assert significant <= 5


def test_too_few_points_or_no_spread_in_time_fit_nothing():
    assert fit([1, 2], [3, 4]) is None
    assert fit([1, 1, 1], [3, 4, 5]) is None


def test_durations_read_as_people_write_them():
    assert [duration(s) for s in (42, 310, 13_200, 200_000)] == ["42 s", "5 min 10 s", "3 h 40 min", "2 d 7 h"]
