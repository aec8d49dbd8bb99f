"""probe and openapi_fuzz items in real audits: the clean service passes, each defect is caught.

The probe defects share one audit (each item's message must name its own defect's symptom); the
sensitivity matrix runs them one at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.status import Status
from tests.observability.support import audit, write_checklist

ITEMS = (Path(__file__).parent / "items.yaml").read_text(encoding="utf-8")
PROBES = ("auth-refusals", "injection-refusals", "internal-errors-opaque", "cors-refusal", "body-limit",
          "request-ids")
CAUGHT_BY = {  # defect: (item, text its message must hold)
    "leaky_errors": ("internal-errors-opaque", "Traceback"),
    "no_security_headers": ("auth-refusals", "X-Content-Type-Options"),
    "cors_wildcard": ("cors-refusal", "Access-Control-Allow-Origin"),
    "no_body_limit": ("body-limit", "PAYLOAD_TOO_LARGE"),
    "no_request_id": ("request-ids", "X-Request-ID"),
}


def _api_keys_redacted(result: ItemResult) -> bool:
    exchanges = [e for e in result.evidence if e.kind == "http"]
    keys = [v for e in exchanges for k, v in e.request_headers.items() if k.lower() == "x-api-key"]
    return all(value == "[REDACTED]" for value in keys)


def test_clean_service_passes_every_probe_and_the_fuzz_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = audit(write_checklist(tmp_path, ITEMS), monkeypatch, prometheus=False)
    for item_id in (*PROBES, "api-fuzz"):
        assert results[item_id].status == Status.PASSED, (item_id, results[item_id].message)
    table = next(e for e in results["injection-refusals"].evidence if e.kind == "table")
    assert len(table.rows) == 6 and all(row[4] == "as expected" for row in table.rows)
    assert results["api-fuzz"].measurements["test_cases"] > 20


def test_each_probe_defect_fails_its_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = {item for item, _ in CAUGHT_BY.values()}
    results = audit(write_checklist(tmp_path, ITEMS), monkeypatch, defects=",".join(CAUGHT_BY), only=items,
                    prometheus=False)
    for defect, (item_id, symptom) in CAUGHT_BY.items():
        result = results[item_id]
        assert result.status == Status.FAILED, (defect, result.message)
        assert symptom in result.message, (defect, result.message)
        assert any(e.kind == "http" for e in result.evidence) and _api_keys_redacted(result)


def test_no_auth_defect_fails_the_fuzz_run_with_a_curl_to_reproduce(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    results = audit(write_checklist(tmp_path, ITEMS), monkeypatch, defects="no_auth", only={"api-fuzz"},
                    prometheus=False)
    result = results["api-fuzz"]
    assert result.status == Status.FAILED, result.message
    assert "API accepts requests without authentication" in result.message
    failures = next(e for e in result.evidence if e.kind == "table" and e.title == "Failures")
    assert all(row[3].startswith("curl -X ") for row in failures.rows)
    assert any(e.kind == "link" for e in result.evidence)
