"""The index of many runs (``make audit-all``)."""

from __future__ import annotations

from pathlib import Path

from readiness_harness.contract.record import ChecklistInfo
from readiness_harness.contract.status import Status
from readiness_harness.reports.index import write_index
from tests.reports.conftest import ALERT, every_kind_of_evidence, make_item, make_record
from tests.reports.test_html import tags


def test_index_links_every_report_with_verdict_and_claims(tmp_path: Path) -> None:
    seed = ChecklistInfo(id="seed-001", title=f"Seed {ALERT}", path="s.yaml", sha256="1" * 64, version="1")
    records = [make_record(every_kind_of_evidence(), run_id="ref-1"),
               make_record([make_item("a", Status.PASSED, claimed=True)], run_id="seed-001-1", checklist=seed)]
    path = write_index(tmp_path / "out", records)
    assert path == tmp_path / "out" / "index.html"
    html = path.read_text(encoding="utf-8")
    hrefs = [attrs.get("href") for tag, attrs in tags(html) if tag == "a"]
    assert "ref-1/index.html" in hrefs and "seed-001-1/index.html" in hrefs
    assert "REJECTED" in html and "APPROVED" in html
    assert "2 of 5 claims verified" in html and "1 of 1 claims verified" in html
    assert "2 checklists · 1 approved · 1 rejected" in html
    assert ALERT not in html and not [t for t, _ in tags(html) if t == "script"]


def test_an_empty_index(tmp_path: Path) -> None:
    html = write_index(tmp_path, []).read_text(encoding="utf-8")
    assert "No reports yet." in html


def _runs_on_disk(out: Path) -> None:
    """Three runs of one checklist (a load item's p95 rising) and one of another, as audits leave them."""
    for n, (p95, status) in enumerate([(120.0, Status.PASSED), (180.0, Status.PASSED), (400.0, Status.FAILED)]):
        load = make_item("load-50", status, section="load", check_type="load", phase="load",
                         measurements={"p95_ms": p95, "rps": 95.0 + n, "requests": 1000.0})
        record = make_record([make_item("health"), load], run_id=f"ref-2025010{n + 1}-000000-abcd",
                             started_at=f"2025-01-0{n + 1}T00:00:00+00:00")
        folder = out / record.run_id
        folder.mkdir(parents=True)
        (folder / "results.json").write_text(record.model_dump_json(), encoding="utf-8")
    seed = ChecklistInfo(id="seed-001", title="Seed", path="s.yaml", sha256="1" * 64, version="1")
    other = make_record([make_item("a")], run_id="seed-001-20250104-000000-beef", checklist=seed,
                        started_at="2025-01-04T00:00:00+00:00")
    (out / other.run_id).mkdir()
    (out / other.run_id / "results.json").write_text(other.model_dump_json(), encoding="utf-8")
    (out / "ref-20250105-000000-dead").mkdir()
    (out / "ref-20250105-000000-dead" / "results.json").write_text("{not json", encoding="utf-8")


def test_history_shows_each_checklists_last_runs_and_trends(tmp_path: Path) -> None:
    from readiness_harness.history import history_records
    from readiness_harness.reports.index import histories

    out = tmp_path / "out"
    _runs_on_disk(out)
    records = history_records(out, first=["ref"])
    assert [r.run_id for r in records][:3] == [f"ref-2025010{n}-000000-abcd" for n in (3, 2, 1)]
    ref, seed = histories(records)
    assert ref.latest.record.run_id == "ref-20250103-000000-abcd" and seed.latest.record.checklist.id == "seed-001"
    trends = {t.label: t for t in ref.trends}
    assert list(trends) == ["score", "load-50 · p95_ms", "load-50 · rps"]  # requests is not a key figure
    p95 = trends["load-50 · p95_ms"]
    assert p95.values == [120.0, 180.0, 400.0] and p95.last == 400.0
    ys = [y for _, y in p95.dots]
    assert ys[0] > ys[1] > ys[2]  # higher values are drawn higher (smaller y)
    html = write_index(out, records).read_text(encoding="utf-8")
    history = html[html.index('id="history-ref"'):html.index('id="history-seed-001"')]
    assert history.count("<polyline") == 3 and "last 3 run(s)" in history
    assert all(f'href="ref-2025010{n}-000000-abcd/index.html"' in history for n in (1, 2, 3))
    assert "400" in history and "from 120" in history


def test_every_audit_refreshes_the_index_beside_its_run(tmp_path: Path) -> None:
    from readiness_harness.history import HistoryIndex

    out = tmp_path / "out"
    _runs_on_disk(out)
    record = make_record([make_item("b")], run_id="ref-20250106-000000-abcd", started_at="2025-01-06T00:00:00+00:00")
    (out / record.run_id).mkdir()
    (out / record.run_id / "results.json").write_text(record.model_dump_json(), encoding="utf-8")
    HistoryIndex().audit_finished(record, out / record.run_id)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "ref-20250106-000000-abcd" in html and "last 4 run(s)" in html and "2 checklists" in html
