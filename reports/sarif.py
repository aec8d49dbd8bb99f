"""``results.sarif``: the security findings of an audit as SARIF 2.1.0, for code-scanning tools.

One rule per security item of the checklist and one result per failed security item (a waived one
is listed as suppressed, with its justification). A result's location is the first file and line
it names (a secret), or else the item in the checklist file, with the API operation or URL as a
logical location; further findings of the item are related locations. Requests that reproduce a
finding travel as the result's ``webRequest`` / ``webResponse`` or, for API fuzzing, as curl
commands in its message. Paths are relative to the working folder the audit ran in (the repository
root in CI), which is what code scanning resolves them against.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.evidence import HttpExchange
from readiness_harness.contract.record import AuditRecord, ItemResult
from readiness_harness.contract.status import Status
from readiness_harness.reports.security_findings import Finding, findings, is_security_item

SARIF_NAME = "results.sarif"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
MAX_RELATED = 50


def uri_of(path: Path) -> str:
    """A path relative to the working folder when inside it, else a file URI."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return absolute.as_uri()


def item_lines(checklist: Path) -> dict[str, int]:
    """The line of each ``id:`` in the checklist file (first occurrence), read as text."""
    try:
        text = checklist.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    out: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        for found in re.finditer(r"(?:^|[\s{,-])id:\s*[\"']?([\w.\-]+)", line):
            out.setdefault(found.group(1), number)
    return out


def sarif_items(record: AuditRecord) -> tuple[list[ItemResult], list[ItemResult]]:
    """(the security items, those among them that get a result: failed, or waived after failing)."""
    items = [i for i in record.items if is_security_item(i)]
    reported = [i for i in items if i.status == Status.FAILED
                or (i.status == Status.WAIVED and i.original_status == Status.FAILED)]
    return items, reported


def render_sarif(record: AuditRecord) -> dict[str, Any]:
    checklist = Path(record.checklist.path)
    items, reported = sarif_items(record)
    lines = item_lines(checklist)
    rules = [_rule(item) for item in items]
    index = {item.id: n for n, item in enumerate(items)}
    results = [_result(item, index[item.id], checklist, lines.get(item.id), record.checklist.id)
               for item in reported]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "readiness-harness", "version": record.environment.harness_version or "0",
                            "rules": rules}},
        "automationDetails": {"id": f"readiness-audit/{record.checklist.id}/{record.run_id}"},
        "invocations": [{"executionSuccessful": record.complete, "startTimeUtc": record.started_at,
                         "endTimeUtc": record.finished_at}],
        "results": results,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rule(item: ItemResult) -> dict[str, Any]:
    severity = item.severity.value
    return {"id": item.id, "name": item.id, "shortDescription": {"text": item.title},
            "defaultConfiguration": {"level": LEVELS[severity]},
            "properties": {"tags": ["security", item.check_type or "check"],
                           "security-severity": SECURITY_SEVERITY[severity]}}


def _result(item: ItemResult, rule_index: int, checklist: Path, line: int | None, checklist_id: str) -> dict[str, Any]:
    found = findings(item, checklist.parent)
    at_item = _location(Finding(text=item.title), checklist, line)
    located = [_location(f, checklist, line) for f in found] or [at_item]
    out: dict[str, Any] = {
        "ruleId": item.id, "ruleIndex": rule_index, "kind": "fail", "level": LEVELS[item.severity.value],
        "message": {"text": _message(item, found)}, "locations": located[:1],
        "partialFingerprints": {"readinessItem/v1": f"{checklist_id}/{item.id}"},
        "properties": {"checkType": item.check_type, "severity": item.severity.value, "findings": len(found)},
    }
    related = [{**loc, "id": n} for n, loc in enumerate(located[1:MAX_RELATED + 1], start=1)]
    if related:
        out["relatedLocations"] = related
    exchange = next((f.exchange for f in found if f.exchange is not None), None)
    if exchange is not None:
        out["webRequest"], out["webResponse"] = _web(exchange)
    if item.status == Status.WAIVED and item.waiver is not None:
        out["suppressions"] = [{"kind": "external", "status": "accepted",
                                "justification": f"{item.waiver.justification} (approved by {item.waiver.approver}, "
                                                 f"expires {item.waiver.expires})"}]
    return out


def _location(finding: Finding, checklist: Path, line: int | None) -> dict[str, Any]:
    path, row = (finding.file, finding.line) if finding.file is not None else (checklist, line)
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri_of(path)}}
    if row:
        physical["region"] = {"startLine": row}
    location: dict[str, Any] = {"physicalLocation": physical, "message": {"text": finding.text}}
    if finding.endpoint:
        location["logicalLocations"] = [{"name": finding.endpoint, "kind": "resource"}]
    return location


def _message(item: ItemResult, found: list[Finding]) -> str:
    lines = [f"{item.title}: {item.message}" if item.message else item.title]
    lines += [f"- {f.text}" + (f"\n  reproduce: {f.reproduce}" if f.reproduce else "") for f in found[:MAX_RELATED]]
    return "\n".join(lines)


def _web(exchange: HttpExchange) -> tuple[dict[str, Any], dict[str, Any]]:
    request: dict[str, Any] = {"method": exchange.method, "target": exchange.url, "headers": exchange.request_headers}
    if exchange.request_body is not None:
        request["body"] = {"text": exchange.request_body}
    if exchange.status is None:
        return request, {"noResponseReceived": True}
    response: dict[str, Any] = {"statusCode": exchange.status, "headers": exchange.response_headers}
    if exchange.response_body is not None:
        response["body"] = {"text": exchange.response_body}
    return request, response


def write_sarif(record: AuditRecord, path: Path) -> Path:
    path.write_text(json.dumps(render_sarif(record), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class SarifWriter(AuditListener):
    """At the end of an audit: ``results.sarif`` in the run folder (with no results when nothing failed)."""

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_sarif(record, run_dir / SARIF_NAME)
