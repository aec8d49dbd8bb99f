"""The diff against the previous run of the same checklist."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from readiness_harness.contract.record import AuditRecord, ChecklistInfo
from readiness_harness.contract.status import Status
from readiness_harness.diff import compute_diff, find_previous, worse_when_higher
from tests.reports.conftest import make_item, make_record

EARLY, LATE = "2025-01-01T00:00:00+00:00", "2025-01-02T00:00:00+00:00"


def _pair() -> tuple[AuditRecord, AuditRecord]:
    before = make_record([
        make_item("a", Status.PASSED, measurements={"p95_ms": 100.0, "rps": 50.0}),
        make_item("b", Status.FAILED),
        make_item("c", Status.PASSED, measurements={"p95_ms": 100.0}),
        make_item("gone", Status.PASSED),
    ], run_id="ref-1", started_at=EARLY)
    after = make_record([
        make_item("a", Status.FAILED, measurements={"p95_ms": 125.0, "rps": 52.5}),
        make_item("b", Status.PASSED),
        make_item("c", Status.PASSED, measurements={"p95_ms": 105.0}),
        make_item("new", Status.ERROR),
    ], run_id="ref-2", started_at=LATE)
    return before, after


def test_new_failures_fixed_and_status_changes() -> None:
    diff = compute_diff(*_pair())
    assert diff.previous_run_id == "ref-1" and diff.previous_verdict == "REJECTED"
    assert [c.id for c in diff.new_failures] == ["a", "new"]
    assert [(c.id, c.before, c.after) for c in diff.fixed] == [("b", Status.FAILED, Status.PASSED)]
    assert [c.id for c in diff.changed] == ["a", "b"]
    assert diff.added == ["new"] and diff.removed == ["gone"]


def test_measurements_beyond_the_threshold_are_flagged() -> None:
    diff = compute_diff(*_pair())
    assert [(m.item, m.name, m.change, m.worse) for m in diff.measurements] == [("a", "p95_ms", 0.25, True)]
    loose = compute_diff(*_pair(), threshold=0.04)
    assert {(m.item, m.name) for m in loose.measurements} == {("a", "p95_ms"), ("a", "rps"), ("c", "p95_ms")}
    assert next(m for m in loose.measurements if m.name == "rps").worse is False


def test_a_move_of_exactly_the_threshold_counts_and_zero_baselines_are_flagged() -> None:
    before = make_record([make_item("a", measurements={"p95_ms": 100.0, "errors": 0.0})], started_at=EARLY)
    after = make_record([make_item("a", measurements={"p95_ms": 80.0, "errors": 3.0})], started_at=LATE)
    moved = {m.name: m for m in compute_diff(before, after).measurements}
    assert moved["p95_ms"].change == -0.2 and moved["p95_ms"].worse is False
    assert moved["errors"].change is None and moved["errors"].worse is True


def test_direction_of_measurements() -> None:
    assert worse_when_higher("p99_ms") and worse_when_higher("errors_per_s")
    assert worse_when_higher("rps") is False and worse_when_higher("cache_hit_ratio") is False
    assert worse_when_higher("queue_depth") is None


def test_the_writer_embeds_the_diff_with_the_previous_run(write_run: Callable[..., Path]) -> None:
    before, after = _pair()
    first = write_run(before)
    assert json.loads((first / "results.json").read_text())["diff"]["previous_run_id"] is None
    second = write_run(after)
    data = json.loads((second / "results.json").read_text())
    assert data["diff"]["previous_run_id"] == "ref-1"
    assert [c["id"] for c in data["diff"]["new_failures"]] == ["a", "new"]
    html = (second / "index.html").read_text()
    assert "Compared with run <code>ref-1</code>" in html and "+25% worse" in html
    assert "new failure `a`" in (second / "summary.md").read_text()
    assert (second.parent / "latest").resolve() == second.resolve()


def test_the_newest_earlier_run_of_the_same_checklist_is_chosen(write_run: Callable[..., Path],
                                                                  tmp_path: Path) -> None:
    other = ChecklistInfo(id="other", title="Other", path="x.yaml", sha256="0" * 64, version="1")
    write_run(make_record([make_item("a")], run_id="ref-old", started_at="2024-12-01T00:00:00+00:00"))
    write_run(make_record([make_item("a")], run_id="ref-prev", started_at=EARLY))
    write_run(make_record([make_item("a")], run_id="other-newer", started_at=EARLY, checklist=other))
    write_run(make_record([make_item("a")], run_id="ref-future", started_at="2030-01-01T00:00:00+00:00"))
    found, notes = find_previous(tmp_path / "out", checklist_id="ref", started_at=LATE)
    assert found is not None and found.run_id == "ref-prev" and notes == []


def test_an_unreadable_previous_run_is_ignored_with_a_note(write_run: Callable[..., Path], tmp_path: Path) -> None:
    write_run(make_record([make_item("a")], run_id="ref-good", started_at="2024-12-01T00:00:00+00:00"))
    broken = tmp_path / "out" / "ref-broken"
    broken.mkdir(parents=True)
    (broken / "results.json").write_text('{"checklist": ', encoding="utf-8")
    invalid = tmp_path / "out" / "ref-invalid"
    invalid.mkdir()
    (invalid / "results.json").write_text(json.dumps({"checklist": {"id": "ref"}, "started_at": EARLY}))
    run_dir = write_run(make_record([make_item("a")], run_id="ref-now", started_at=LATE))
    diff = json.loads((run_dir / "results.json").read_text())["diff"]
    assert diff["previous_run_id"] == "ref-good"
    assert any("ref-broken" in n and "invalid JSON" in n for n in diff["notes"])
    assert any("ref-invalid" in n and "does not match the schema" in n for n in diff["notes"])
    assert "ref-broken" in (run_dir / "index.html").read_text()


def test_no_previous_run(tmp_path: Path) -> None:
    found, notes = find_previous(tmp_path / "missing", checklist_id="ref", started_at=LATE)
    assert found is None and notes == []


def test_regressions_come_first_and_the_summary_only_counts_improvements() -> None:
    from readiness_harness.reports.summary import render_summary

    before = make_record([make_item("a", measurements={"p95_ms": 100.0, "rps": 100.0, "depth": 10.0}),
                          make_item("b", measurements={"p95_ms": 100.0})], started_at=EARLY)
    after = make_record([make_item("a", measurements={"p95_ms": 50.0, "rps": 50.0, "depth": 20.0}),
                         make_item("b", measurements={"p95_ms": 300.0})], started_at=LATE)
    diff = compute_diff(before, after)
    assert [(m.item, m.name) for m in diff.measurements] == [("b", "p95_ms"), ("a", "rps"), ("a", "depth"),
                                                              ("a", "p95_ms")]
    after.diff = diff
    summary = render_summary(after)
    assert "⚠️ `b` p95_ms: 100 → 300 (+200%)" in summary and "⚠️ `a` rps: 100 → 50 (-50%)" in summary
    assert "`a` depth: 10 → 20 (+100%)" in summary
    assert "1 measurement improved by 20% or more" in summary and "`a` p95_ms" not in summary
