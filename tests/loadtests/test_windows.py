"""The request record (files as the plugin writes them) and windows over it: exact to one bucket (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.spec import Thresholds, ThresholdSet
from readiness_harness.loadtests.windows import WindowAsk, evaluate_window

B0 = 17_000_000_000  # bucket index: 1.7e9 s
T0 = B0 * 0.1


def entry(name: str, n: int, *, fail: int = 0, ms: int = 5, exp: dict | None = None, codes: dict | None = None,
          errors: dict | None = None) -> dict:
    return {"name": name, "method": "GET", "n": n, "fail": fail, "sum": float(n * ms), "max": float(ms),
            "exp": exp or {}, "codes": codes or {"200": n}, "errors": errors or {}, "hist": {str(ms): n}}


def write_record(folder: Path, *, processes: int = 2) -> Path:
    """20 s at 100 req/s from ``processes`` processes: 10 s clean, then 10 s of a fault (slow, 10% errors,
    and 5 expected 429s a second on the read name). One process writes a late line for an old bucket."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in range(processes):
        lines = [{"kind": "header", "version": 1, "bucket_s": 0.1, "role": "worker", "host": "h", "pid": p}]
        for i in range(200):
            fault = i >= 100
            share = 10 // processes
            names = [entry("read", share, fail=1 if fault and p == 0 else 0, ms=400 if fault else 20,
                           errors={"HTTP 503: boom": 1} if fault and p == 0 else None)]
            if fault and p == 0 and i % 2 == 0:
                names.append(entry("read", 1, ms=2, exp={"429": 1}, codes={"429": 1}))
            lines.append({"b": B0 + i, "users": 5, "rate": 50.0, "missed": 0, "iterations": share, "cpu": 10.0,
                          "names": names})
        if p == 1:
            lines.append({"b": B0 + 3, "names": [entry("read", 1)]})  # completed after its bucket was flushed
        (folder / f"record-worker-h-{p}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder


def test_files_of_every_process_merge_bucket_by_bucket(tmp_path: Path):
    record = Record(write_record(tmp_path)).refresh()
    assert len(record.sources) == 2 and record.bucket_s == 0.1
    assert record.requests == 2000 + 50 + 1
    bucket = record.buckets[B0 + 3]
    assert bucket.total().requests == 11 and bucket.users == 10 and bucket.rate == 100.0 and bucket.processes == 2
    assert record.first_request() == pytest.approx(T0)
    whole = record.whole()
    assert whole.aggregate.expected == {429: 50} and whole.aggregate.errors == {"HTTP 503: boom": 100}
    assert whole.aggregate.codes == {200: 2001, 429: 50}


def test_a_refresh_reads_only_complete_new_lines(tmp_path: Path):
    path = tmp_path / "record-local-h-1.jsonl"
    path.write_text(json.dumps({"b": B0, "users": 1, "names": [entry("a", 3)]}) + "\n" + '{"b": 17000000001, "us')
    record = Record(tmp_path).refresh()
    assert record.requests == 3
    with path.open("a") as handle:
        handle.write('ers": 1, "names": []}\n' + json.dumps({"b": B0 + 2, "users": 1, "names": [entry("a", 4)]}) + "\n")
    assert record.refresh().requests == 7 and B0 + 1 in record.buckets


def test_window_edges_are_exact_to_one_bucket(tmp_path: Path):
    record = Record(write_record(tmp_path)).refresh()
    fault_start, fault_end = T0 + 10.03, T0 + 15.02  # mid-bucket
    inner = record.span(T0 + 5.0, fault_start, "inner")
    outer = record.span(fault_start, fault_end, "outer")
    assert (inner.start, inner.end) == (pytest.approx(T0 + 5.0), pytest.approx(T0 + 10.0))
    assert (outer.start, outer.end) == (pytest.approx(T0 + 10.0), pytest.approx(T0 + 15.1))
    assert inner.aggregate.requests == 500 and inner.aggregate.failures == 0
    assert outer.aggregate.failures == 51 and outer.buckets == 51
    after = record.span(fault_end, T0 + 20.0, "inner")
    assert after.start == pytest.approx(T0 + 15.1) and after.buckets == 49
    assert inner.buckets + outer.buckets == 101  # adjacent windows share no bucket
    assert record.span(T0 + 1.0, T0 + 1.0, "outer").buckets == 0


def test_baseline_and_fault_windows_get_their_own_figures(tmp_path: Path):
    record = Record(write_record(tmp_path)).refresh()
    limits = Thresholds(p95=100, error_rate=1, per_name={"read": ThresholdSet(max_expected=0)})
    baseline = evaluate_window(record, WindowAsk("baseline", T0 + 0.5, T0 + 10.0, "inner"), limits)
    fault = evaluate_window(record, WindowAsk("fault", T0 + 10.0, T0 + 20.0, "outer"), limits)
    assert baseline.ok and baseline.measured, [v.describe() for v in baseline.verdicts]
    assert baseline.aggregate.requests == 950 and baseline.aggregate.rps == pytest.approx(100.0)
    assert fault.aggregate.requests == 1050 and fault.aggregate.failures == 100
    assert fault.aggregate.p95_ms == 400 and fault.names["read"].expected == {429: 50}
    missed = [v.describe() for v in fault.verdicts if not v.ok]
    assert missed == ["fault: p95 400 ms > limit 100 ms", "fault: error_rate 9.52% > limit 1%",
                      "fault read: expected statuses 50 > limit 0"]


def test_a_window_without_requests_is_not_measured_never_missed(tmp_path: Path):
    record = Record(write_record(tmp_path)).refresh()
    empty = evaluate_window(record, WindowAsk("before", T0 - 100, T0 - 50), Thresholds(p95=100, min_rps=1))
    assert not empty.measured and not empty.ok
    assert all(not v.measured and not v.missed for v in empty.verdicts)
    assert "not measured (no request completed in the before window)" in empty.verdicts[0].describe()


def test_steady_span_skips_the_ramp_and_the_last_buckets(tmp_path: Path):
    record = Record(write_record(tmp_path)).refresh()
    steady = record.steady(ramp_s=2.0)
    assert steady.start == pytest.approx(T0 + 3.0) and steady.end == pytest.approx(T0 + 19.8)
    assert steady.asked_rps == pytest.approx(100.0)


def test_chart_shading_snaps_to_the_chart_points_around_what_the_window_counted():
    from readiness_harness.loadtests.evidence import _on_grid
    from readiness_harness.loadtests.results import NameStats
    from readiness_harness.loadtests.windows import WindowResult

    def window(edges: str, start: float, end: float) -> WindowResult:
        return WindowResult(label=edges, start=start, end=end, aggregate=NameStats(name="all"), names={},
                            edges=edges)  # type: ignore[arg-type]

    # points of two 100 ms buckets: a fault window ending on an odd bucket widens to the next point,
    # so the point holding its last errors lies inside the shading; a baseline narrows instead
    fault = _on_grid(window("outer", 103.0, 105.1), origin=100.0, step=0.2)
    baseline = _on_grid(window("inner", 101.1, 103.0), origin=100.0, step=0.2)
    assert (fault.start, fault.end) == (3.0, 5.2)
    assert (baseline.start, baseline.end) == (1.2, 3.0)
    exact = _on_grid(window("outer", 103.0, 105.0), origin=100.0, step=0.1)
    assert (exact.start, exact.end) == (3.0, 5.0)


def test_a_request_hung_by_the_fault_is_the_faults_not_the_recoverys(tmp_path: Path):
    """Begun in the fault, ended after the rollback: counted in the fault window (outer: it overlapped
    the fault), never in the recovery window (inner: only requests begun and ended inside it); one begun
    in the baseline and failed by the injection is the fault's too, not the baseline's."""
    record = Record(write_record(tmp_path)).refresh()
    hung = entry("read", 1, fail=1, ms=2200, codes={"502": 1}, errors={"HTTP 502: hung": 1})
    slow = entry("read", 1, fail=1, ms=150, codes={"502": 1}, errors={"HTTP 502: reset": 1})
    (tmp_path / "record-local-h-9.jsonl").write_text(
        json.dumps({"b": B0 + 172, "users": 0, "names": [{**hung, "s": B0 + 150}]}) + "\n"
        + json.dumps({"b": B0 + 101, "users": 0, "names": [{**slow, "s": B0 + 99}]}) + "\n")
    record.refresh()
    fault_start, fault_end = T0 + 10.03, T0 + 15.02
    fault = record.span(fault_start, fault_end, "outer")
    recovery = record.span(fault_end, T0 + 20.0, "inner")
    baseline = record.span(T0 + 5.0, fault_start, "inner")
    assert fault.aggregate.errors["HTTP 502: hung"] == 1 and fault.aggregate.failures == 53
    assert "HTTP 502: hung" not in recovery.aggregate.errors and recovery.aggregate.requests == 49 * 10 + 24
    assert "HTTP 502: reset" in fault.aggregate.errors and baseline.aggregate.failures == 0
    assert record.buckets[B0 + 172].total().failures == 2  # the chart still plots it where it ended
    assert record.requests == 2051 + 2
