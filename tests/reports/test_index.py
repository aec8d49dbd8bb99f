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
