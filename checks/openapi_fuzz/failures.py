"""Failures out of schemathesis's JUnit report, each with the curl command that reproduces it.

A ``<failure>`` element holds every failure of one operation as numbered blocks::

    1. Test Case ID: rpqVbE

    - ST401 API accepts requests without authentication

        Expected 401 or 403, got `200 OK` for `GET /v1/slow`
    ...
    Reproduce with:

        curl -X GET 'http://127.0.0.1:8000/v1/slow?ms=0'
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

from readiness_harness.contract.redaction import redact_text

_BLOCK = re.compile(r"^\d+\. Test Case ID: ", re.MULTILINE)
_CHECK = re.compile(r"^- (?P<title>.+)$", re.MULTILINE)
_SECRET_HEADER = re.compile(r"(-H '(?:X-API-Key|Authorization|Cookie|Api-Key): )[^']*'", re.IGNORECASE)
MAX_FAILURES = 200


@dataclass(frozen=True)
class Failure:
    operation: str
    check: str
    message: str
    curl: str


def read_failures(path: Path, secrets: set[str]) -> list[Failure]:
    """Every failure in the report (secrets redacted); none when the file is missing."""
    try:
        root = ElementTree.parse(path).getroot()
    except (FileNotFoundError, ElementTree.ParseError):
        return []
    out: list[Failure] = []
    for case in root.iter("testcase"):
        operation = case.get("name", "?")
        for node in [*case.findall("failure"), *case.findall("error")]:
            text = node.text or node.get("message") or ""
            out.extend(_blocks(operation, text, secrets))
            if len(out) >= MAX_FAILURES:
                return out[:MAX_FAILURES]
    return out


def _blocks(operation: str, text: str, secrets: set[str]) -> list[Failure]:
    starts = [m.start() for m in _BLOCK.finditer(text)] or [0]
    blocks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    out = []
    for block in blocks:
        curl = _curl(block)
        checks = _CHECK.findall(block) or [block.strip().splitlines()[0] if block.strip() else "failure"]
        message = _message(block)
        for check in checks:
            out.append(Failure(operation=operation, check=redact_text(check.strip(), secrets),
                               message=redact_text(message, secrets), curl=_redact_curl(curl, secrets)))
    return out


def _message(block: str) -> str:
    """The first indented explanation line after the check title."""
    lines = block.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("- "):
            for follow in lines[n + 1:n + 4]:
                if follow.strip():
                    return follow.strip()[:300]
    return ""


def _curl(block: str) -> str:
    marker = block.find("Reproduce with:")
    if marker < 0:
        return ""
    lines = [line.strip() for line in block[marker + len("Reproduce with:"):].splitlines() if line.strip()]
    command = []
    for line in lines[:20]:  # a command continued with trailing backslashes
        command.append(line)
        if not line.endswith("\\"):
            break
    return " ".join(command)


def _redact_curl(curl: str, secrets: set[str]) -> str:
    return redact_text(_SECRET_HEADER.sub(r"\1[REDACTED]'", curl), secrets)
