"""results.json (and its published schema), junit.xml and summary.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from readiness_harness.contract.record import AuditRecord, MeasurementChange, RunDiff, StatusChange
from readiness_harness.contract.status import Status
from readiness_harness.reports.junit import render_junit
from readiness_harness.reports.results_json import render_json
from readiness_harness.reports.schema import SCHEMA_PATH, main, render_schema
from readiness_harness.reports.summary import render_summary
from tests.reports.conftest import make_item, make_record, validate_results


def test_committed_schema_matches_the_model() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_schema(), \
        "run `python -m readiness_harness.reports.schema`"
    assert main(["--check"]) == 0


def test_every_output_is_written_and_results_validate(full_record: AuditRecord,
                                                       write_run: Callable[..., Path]) -> None:
    run_dir = write_run(full_record)
    assert sorted(p.name for p in run_dir.iterdir()) == ["index.html", "junit.xml", "results.json", "summary.md"]
    data = validate_results(run_dir / "results.json")
    assert AuditRecord.model_validate(data).model_dump() == full_record.model_dump()
    assert data["signoffs"][0]["signer"] == "Ana Lima"


def test_schema_rejects_a_broken_record(full_record: AuditRecord, tmp_path: Path) -> None:
    from jsonschema import ValidationError

    data = json.loads(render_json(full_record))
    data["items"][0]["status"] = "maybe"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        validate_results(path)
    except ValidationError as exc:
        assert "maybe" in str(exc.message)
    else:
        raise AssertionError("an unknown status validated")


def test_junit_has_one_testcase_per_item(full_record: AuditRecord) -> None:
    root = ET.fromstring(render_junit(full_record).split("?>", 1)[1])
    cases = {case.get("name", ""): case for case in root.iter("testcase")}
    assert sorted(cases) == sorted(item.id for item in full_record.items)
    assert cases["rate-limit"].find("failure") is not None
    assert cases["jobs"].find("error") is not None
    assert cases["runbook"].find("failure") is not None and cases["load-50"].find("failure") is not None
    assert cases["health"].find("failure") is None and cases["health"].find("error") is None
    for skipped in ("cache", "telegram", "backups"):
        assert cases[skipped].find("skipped") is not None
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["ref.api"].get("failures") == "1" and suites["ref.api"].get("errors") == "1"


def test_summary_has_verdict_score_counts_blockers_claims_and_diff(full_record: AuditRecord) -> None:
    full_record.diff = RunDiff(previous_run_id="ref-1", previous_verdict="APPROVED", previous_score=75.0,
                               new_failures=[StatusChange(id="rate-limit", title="Rate limit", before=Status.PASSED,
                                                          after=Status.FAILED)],
                               measurements=[MeasurementChange(item="load-50", name="p95_ms", before=100.0,
                                                               after=400.0, change=3.0, worse=True)])
    summary = render_summary(full_record)
    assert "**REJECTED**" in summary and "**50/100**" in summary and "2 of 5 claims verified" in summary
    assert "| critical | 1 |" in summary and "| **all** | **2** | **1** |" in summary
    assert "### Blocking items" in summary and "`runbook`" in summary and "`load-50`" in summary
    assert "### Unsupported claims (3)" in summary
    assert "new failure `rate-limit`" in summary and "p95_ms: 100 → 400 (+300%)" in summary
    assert "<script>" not in summary and "&lt;script&gt;" in summary


def test_summary_of_an_approved_first_run() -> None:
    record = make_record([make_item("a", Status.PASSED)],
                         diff=RunDiff(notes=["No earlier run of this checklist to compare with."]))
    summary = render_summary(record)
    assert "✅" in summary and "**APPROVED**" in summary and "Blocking" not in summary
    assert "No earlier run" in summary and "no claims recorded" in summary
