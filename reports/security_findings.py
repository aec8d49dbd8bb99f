"""The located findings of a failed security item, read from the evidence its check type records.

Security items are those of the ``secrets_scan``, ``openapi_fuzz`` and ``attack`` types, and ``http``
items whose failed observations are about security headers. Each finding carries what a code-scanning
tool can place: a file and line (secrets), an API operation with the curl command that reproduces it
(API fuzzing), or a request with its response (attacks, headers). Evidence is read by its table
columns and observation labels, as the check types write them; a failed item whose evidence yields
no finding still gets one, located at the item.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_harness.contract.evidence import HttpExchange, Observation, Table
from readiness_harness.contract.record import ItemResult

SECURITY_HEADERS = frozenset({
    "strict-transport-security", "content-security-policy", "x-content-type-options", "x-frame-options",
    "referrer-policy", "permissions-policy", "cross-origin-opener-policy", "cross-origin-embedder-policy",
    "cross-origin-resource-policy", "x-permitted-cross-domain-policies",
})
SECURITY_TYPES = frozenset({"secrets_scan", "openapi_fuzz", "attack"})


@dataclass(frozen=True)
class Finding:
    """One located problem: a file and line, or an API endpoint (with a reproduction or an exchange)."""

    text: str
    file: Path | None = None
    line: int | None = None
    endpoint: str | None = None
    reproduce: str | None = None
    exchange: HttpExchange | None = None


def header_misses(item: ItemResult) -> list[Observation]:
    return [e for e in item.evidence if isinstance(e, Observation) and e.ok is False
            and e.label.lower().startswith("header ") and e.label[7:].strip().lower() in SECURITY_HEADERS]


def is_security_item(item: ItemResult) -> bool:
    return item.check_type in SECURITY_TYPES or (item.check_type == "http" and bool(header_misses(item)))


def findings(item: ItemResult, checklist_dir: Path) -> list[Finding]:
    """The item's located findings, in the order its evidence lists them."""
    if item.check_type == "secrets_scan":
        return _secrets(item, checklist_dir)
    if item.check_type == "openapi_fuzz":
        return _fuzz(item)
    if item.check_type == "attack":
        return _attacks(item)
    return _headers(item)


def _rows(item: ItemResult, *columns: str) -> list[dict[str, Any]]:
    """Rows, as dicts, of every table of the item that has all the columns."""
    out = []
    for table in (e for e in item.evidence if isinstance(e, Table)):
        if all(c in table.columns for c in columns):
            out += [dict(zip(table.columns, row, strict=False)) for row in table.rows]
    return out


def _secrets(item: ItemResult, checklist_dir: Path) -> list[Finding]:
    out = []
    for row in _rows(item, "file", "line", "detector", "status"):
        if row["status"] != "open":
            continue
        line = row["line"] if isinstance(row["line"], int) and row["line"] > 0 else None
        out.append(Finding(text=f"possible secret ({row['detector']}) at {row['file']}:{row['line']}",
                           file=Path(os.path.normpath(checklist_dir / str(row["file"]))), line=line))
    return out


def _fuzz(item: ItemResult) -> list[Finding]:
    return [Finding(text=f"{row['operation']}: {row['check']}" + (f": {row['message']}" if row["message"] else ""),
                    endpoint=str(row["operation"]), reproduce=str(row["reproduce"]) or None)
            for row in _rows(item, "operation", "check", "message", "reproduce")]


def _attacks(item: ItemResult) -> list[Finding]:
    exchanges = [e for e in item.evidence if isinstance(e, HttpExchange)]
    out = []
    for row in _rows(item, "attack", "method", "url", "verdict", "problems"):
        if row["verdict"] != "FAILED":
            continue
        exchange = next((e for e in exchanges if e.method == row["method"] and e.url == row["url"]), None)
        if exchange is not None:
            exchanges.remove(exchange)
        out.append(Finding(text=f"attack '{row['attack']}': {row['problems']}",
                           endpoint=f"{row['method']} {row['url']}", exchange=exchange))
    return out


def _headers(item: ItemResult) -> list[Finding]:
    exchange = next((e for e in item.evidence if isinstance(e, HttpExchange)), None)
    endpoint = f"{exchange.method} {exchange.url}" if exchange else None
    return [Finding(text=f"{o.label}: {o.observed} (expected {o.expected})", endpoint=endpoint, exchange=exchange)
            for o in header_misses(item)]
