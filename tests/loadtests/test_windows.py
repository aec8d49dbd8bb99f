"""Thresholds over a fault window and a baseline window of one run's stats history (pure)."""

from __future__ import annotations

import pytest

from readiness_harness.loadtests.history import HistoryRow
from readiness_harness.loadtests.spec import Thresholds, ThresholdSet
from readiness_harness.loadtests.windows import evaluate_window, window_stats

T0 = 1_700_000_000


def history() -> list[HistoryRow]:
    """20 s at 100 req/s: fast and clean for 10 s, then 10 s of a fault (slow, 10% errors).

    The read name also gets 5 expected 429s per second during the fault.
    """
    rows = []
    total = fails = read_total = limited = 0
    for second in range(21):
        fault = second > 10
        rate = 0 if second == 0 else 100
        total += rate + (5 if fault else 0)
        fails += 10 if fault else 0
        read_total += rate
        limited += 5 if fault else 0
        p95 = 400.0 if fault else 20.0
        p95_or_none = None if second == 0 else p95
        rows.append(HistoryRow(T0 + second, 10, "Aggregated", rate, 10 if fault else 0, p95_or_none and 5.0,
                               p95_or_none, p95_or_none and p95 * 1.5, total, fails))
        rows.append(HistoryRow(T0 + second, 10, "read", rate, 10 if fault else 0, 5.0, p95_or_none,
                               p95_or_none, read_total, fails))
        if fault:
            rows.append(HistoryRow(T0 + second, 10, "read [429]", 5, 0, 1.0, 2.0, 2.0, limited, 0))
    return rows


def test_baseline_and_fault_windows_get_their_own_figures():
    rows = history()
    baseline = window_stats(rows, "Aggregated", T0 + 0.5, T0 + 10.5)
    assert baseline.requests == 1000 and baseline.failures == 0
    assert baseline.rps == pytest.approx(100.0) and baseline.p95_ms == 20.0
    fault = window_stats(rows, "Aggregated", T0 + 10.5, T0 + 20.5)
    assert fault.requests == 1050 and fault.failures == 100
    assert fault.error_rate_pct == pytest.approx(100 * 100 / 1050)
    assert fault.p95_ms == 400.0 and fault.samples == 10


def test_a_name_folds_in_its_expected_statuses():
    fault = window_stats(history(), "read", T0 + 10.5, T0 + 20.5)
    assert fault.requests == 1050 and fault.expected == {429: 50}
    assert window_stats(history(), "read", T0 + 0.5, T0 + 10.5).expected == {}


def test_thresholds_pass_on_the_baseline_and_fail_on_the_fault():
    thresholds = Thresholds(p95=100, error_rate=1, per_name={"read": ThresholdSet(max_expected=0)})
    baseline = evaluate_window(history(), "baseline", T0 + 0.5, T0 + 10.5, thresholds)
    fault = evaluate_window(history(), "fault", T0 + 10.5, T0 + 20.5, thresholds)
    assert baseline.ok, [v.describe() for v in baseline.verdicts]
    assert not fault.ok
    missed = [v.describe() for v in fault.verdicts if not v.ok]
    assert missed == ["fault: p95 400 ms > limit 100 ms", "fault: error_rate 9.52% > limit 1%",
                      "fault read: expected statuses 50 > limit 0"]


def test_window_outside_the_run_has_no_requests():
    empty = window_stats(history(), "Aggregated", T0 - 100, T0 - 50)
    assert empty.requests == 0 and empty.p95_ms is None and empty.error_rate_pct is None
    result = evaluate_window(history(), "before", T0 - 100, T0 - 50, Thresholds(p95=100))
    assert not result.ok and "not measured" in result.verdicts[0].describe()


def test_window_starting_before_the_first_row_counts_from_zero():
    stats = window_stats(history(), "Aggregated", T0 - 5, T0 + 3)
    assert stats.requests == 300 and stats.rps == pytest.approx(300 / 8)
