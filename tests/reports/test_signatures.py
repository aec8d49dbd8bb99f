"""Sign-off signatures: read from the attestations file, carried into the record."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness_harness.contract.errors import ChecklistError
from readiness_harness.reports.view import signature_rows
from readiness_harness.signoffs import load_signoffs
from tests.reports.conftest import make_item, make_record


def test_signoffs_are_read_from_the_attestations_file(tmp_path: Path) -> None:
    path = tmp_path / "attestations.yaml"
    path.write_text(
        "attestations:\n"
        "  - {item: oncall, signer: Ana, role: SRE lead, date: 2025-01-01, evidence: wiki/oncall}\n"
        "signoffs:\n"
        "  - {role: SRE lead, signer: Ana Lima, date: 2025-01-03, note: read in full}\n"
        "  - {role: Service owner, signer: Bo, date: 2025-01-04}\n", encoding="utf-8")
    book = load_signoffs(path, None, known_items={"oncall"})
    entries = book.signoff_records()
    assert [(e.role, e.signer, e.date.isoformat(), e.note) for e in entries] == [
        ("SRE lead", "Ana Lima", "2025-01-03", "read in full"), ("Service owner", "Bo", "2025-01-04", "")]
    rows = signature_rows(make_record([make_item("oncall")], signoffs=entries))
    assert [(r.role, r.signer, r.signed) for r in rows] == [
        ("Service owner", "Bo", True), ("SRE lead", "Ana Lima", True), ("Security reviewer", "", False)]


def test_a_signoff_without_a_signer_is_a_located_problem(tmp_path: Path) -> None:
    path = tmp_path / "attestations.yaml"
    path.write_text("signoffs:\n  - {role: SRE lead, date: 2025-01-03}\n", encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_signoffs(path, None, known_items=set())
    assert any("signer" in str(problem) for problem in caught.value.problems)


def test_files_without_signoffs_still_load(tmp_path: Path) -> None:
    path = tmp_path / "attestations.yaml"
    path.write_text("attestations: []\n", encoding="utf-8")
    assert load_signoffs(path, None, known_items=set()).signoff_records() == []
