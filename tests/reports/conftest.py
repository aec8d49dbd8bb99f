"""Audit records built directly from the model: every evidence kind, hostile text included."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from readiness_harness.contract.checklist import Severity, SourceRef
from readiness_harness.contract.evidence import (
    HttpExchange,
    Link,
    LogExcerpt,
    Observation,
    Table,
    Text,
    Timeline,
    TimelineEvent,
    TimeSeries,
    Window,
)
from readiness_harness.contract.record import AuditRecord, ChecklistInfo, ItemResult, TargetInfo
from readiness_harness.contract.signoffs import ReportSignature
from readiness_harness.contract.status import Status
from readiness_harness.diff import diff_against_previous
from readiness_harness.reports.schema import SCHEMA_PATH
from readiness_harness.reports.writer import write_reports
from readiness_harness.verdict import blocking, counts, score, severity_counts, verdict

XSS = "<script>document.title='XSS';document.documentElement.appendChild(document.createElement('xss-marker'))</script>"
IMG_XSS = "<img src=x onerror=\"document.title='XSS-IMG'\">"
ALERT = "<script>alert(1)</script>"


def make_item(item_id: str, status: Status = Status.PASSED, *, severity: Severity = Severity.HIGH,
              section: str = "api", **fields: Any) -> ItemResult:
    return ItemResult(id=item_id, section=section, section_title=fields.pop("section_title", section.upper()),
                      title=fields.pop("title", f"Item {item_id}"), severity=severity,
                      kind=fields.pop("kind", "check"), check_type=fields.pop("check_type", "http"),
                      status=status, **fields)


def make_record(items: list[ItemResult], *, run_id: str = "ref-20250101-000000-abcd",
                started_at: str = "2025-01-01T00:00:00+00:00", **fields: Any) -> AuditRecord:
    checklist = fields.pop("checklist", None) or ChecklistInfo(
        id="ref", title="Reference service readiness", path="checklists/reference.yaml", sha256="ab" * 32,
        version="1.2", signoff_roles=["Service owner", "SRE lead", "Security reviewer"])
    return AuditRecord(
        run_id=run_id, verdict=verdict(items), checklist=checklist,
        target=TargetInfo(name="reference", base_url="http://127.0.0.1:8000", provisioned=True,
                          processes=["uvicorn (pid 4242)"]),
        started_at=started_at, finished_at=started_at, duration_s=42.0,
        environment={"harness_version": "0.1.0", "python": "CPython 3.11.7", "locust": "2.31.0",
                     "toxiproxy": "embedded 2.9.0 at http://127.0.0.1:8474", "git_commit": "0123456789ab"},
        counts=counts(items), severity_counts=severity_counts(items), score=score(items),
        blocking=blocking(items), items=items, **fields)


def load_series() -> TimeSeries:
    t = [float(i) for i in range(60)]
    return TimeSeries(
        title="Load at 50 users", t=t,
        series={"rps": [95.0 + (i % 5) for i in range(60)], "users": [min(50.0, i * 5.0) for i in range(60)],
                "p50_ms": [20.0] * 60, "p95_ms": [45.0 if not 20 <= i < 35 else 400.0 for i in range(60)],
                "p99_ms": [80.0 if not 20 <= i < 35 else 900.0 for i in range(60)],
                "errors_per_s": [0.0 if not 20 <= i < 35 else 2.0 for i in range(60)],
                f"{ALERT}_ms": [1.0] * 60},
        unit={"rps": "req/s", "p95_ms": "ms"},
        windows=[Window(label=f"fault: db latency {ALERT}", start=20.0, end=35.0)])


def every_kind_of_evidence() -> list[ItemResult]:
    http = HttpExchange(method="GET", url="http://127.0.0.1:8000/v1/quotes?symbol=X",
                        request_headers={"X-API-Key": "[redacted]", "Authorization": "[redacted]"},
                        status=200, response_headers={"content-type": "text/html"},
                        response_body=f"<html><body>{XSS}{IMG_XSS}{ALERT}</body></html>" + "x" * 6000,
                        elapsed_ms=12.25)
    return [
        make_item("health", Status.PASSED, severity=Severity.CRITICAL, claimed=True, measurements={"p95_ms": 40.0},
                  message="ready in 12 ms", source=SourceRef(file="seeds/001.md", line=12, text="Health check ✅"),
                  evidence=[Observation(label="status", observed=200, expected=200, ok=True),
                            Observation(label="body", observed={"status": "ok"}, expected=None), http]),
        make_item("rate-limit", Status.FAILED, claimed=True, title=f"Rate limit {ALERT}",
                  message=f"no 429 after 50 requests {ALERT}",
                  evidence=[Observation(label="429 seen", observed=False, expected=True, ok=False),
                            Table(title="Responses", columns=["status", "count"], rows=[[200, 50], [f"{ALERT}", 1]]),
                            LogExcerpt(title="service log", lines=['{"level":"info"}', f"{XSS}"])]),
        make_item("load-50", Status.INCONCLUSIVE, section="load", section_title="Load", check_type="load",
                  claimed=False, measurements={"p95_ms": 400.0, "rps": 96.0},
                  message="p95 400 ms > 250 ms during the fault", evidence=[load_series(),
                  Link(title="Locust report", href="load-50/locust.html"),
                  Link(title="remote", href="https://example.com/x"),
                  Link(title="script", href="javascript:alert(1)")]),
        make_item("db-fault", Status.PASSED, section="faults", section_title="Fault scenarios", check_type="chaos",
                  claimed=False, measurements={"recover_s": 3.5},
                  evidence=[Timeline(title="database latency", recovered_after_s=3.5, events=[
                      TimelineEvent(t=0.0, event="inject", detail="latency 800 ms"),
                      TimelineEvent(t=1.0, event="observe", detail="503 with Retry-After", ok=True),
                      TimelineEvent(t=10.0, event="rollback", detail=ALERT),
                      TimelineEvent(t=13.5, event="recovered", ok=True)]),
                            Text(title="notes", body=f"circuit opened {ALERT}")]),
        make_item("oncall", Status.ATTESTED, section="ops", section_title="Operations", kind="attestation",
                  check_type="attestation", claimed=True, severity=Severity.MEDIUM,
                  attestation={"item": "oncall", "signer": f"Ana {ALERT}", "role": "SRE lead", "date": "2025-01-01",
                               "evidence": "https://wiki/oncall", "expires": None}),
        make_item("runbook", Status.UNATTESTED, section="ops", section_title="Operations", kind="attestation",
                  check_type="attestation", claimed=True, message="no attestation by the SRE lead"),
        make_item("backups", Status.WAIVED, section="ops", section_title="Operations", claimed=True,
                  original_status=Status.FAILED, message="restore not tested",
                  waiver={"item": "backups", "justification": "restore drill booked for next sprint", "approver": "CTO",
                          "expires": "2099-01-01", "ticket": "OPS-12", "expired": False}),
        make_item("telegram", Status.NOT_APPLICABLE, section="ops", section_title="Operations", kind="not_applicable",
                  check_type=None, claimed=True, severity=Severity.LOW, message="no Telegram bot here"),
        make_item("jobs", Status.ERROR, section="api", severity=Severity.MEDIUM, message="ConnectError: refused"),
        make_item("cache", Status.SKIPPED, section="api", severity=Severity.LOW, message="not selected (--only)"),
    ]


@pytest.fixture
def full_record() -> AuditRecord:
    return make_record(every_kind_of_evidence(), notes=[f"note {ALERT}"],
                       signoffs=[ReportSignature(role="SRE lead", signer="Ana Lima", date="2025-01-02", note="ok"),
                                 ReportSignature(role="CFO", signer=f"Mallory {ALERT}", date="2025-01-02")])


@pytest.fixture
def record_factory() -> Callable[..., AuditRecord]:
    return make_record


def validate_results(path: Path) -> dict[str, Any]:
    """Parse a written results.json and validate it against the published schema."""
    data = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator(schema).validate(data)
    return data


@pytest.fixture
def write_run(tmp_path: Path) -> Callable[..., Path]:
    """Write every output of a record into ``tmp_path/out/<run-id>``; the results.json is schema-checked."""

    def write(record: AuditRecord, out_dir: Path | None = None) -> Path:
        run_dir = (out_dir or tmp_path / "out") / record.run_id
        if record.diff is None:  # as the audit does before it hands the record to the reporters
            record.diff = diff_against_previous(record, run_dir)
        write_reports(record, run_dir)
        validate_results(run_dir / "results.json")
        return run_dir

    return write
