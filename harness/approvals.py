"""Signing a finished run, verifying one, and re-rendering its sign-off section.

- ``sign_run`` refuses a run whose files no longer match its manifest (nobody should approve
  evidence that changed), writes the signature file, then re-renders the sign-off section of
  ``index.html`` from results.json and every signature file.
- ``verify_run`` checks the manifest, every file against it (missing, changed, unlisted), every
  signature, and that the report's sign-off section shows exactly what the signature files say.
- ``refresh_report`` re-renders that section (``harness report RUN_DIR``).

The section shows whether each signature verified against the key it carries and the current
manifest; which keys are trusted is decided when verifying (``--key``), not written into the HTML.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from readiness_harness.contract.record import AuditRecord
from readiness_harness.manifest import REPORT_NAME, ManifestError, check_files, read_manifest
from readiness_harness.reports.signoff import SectionError, render_section, replace_section, split
from readiness_harness.reports.view import Approval
from readiness_harness.signing import (
    SigningError,
    check_signature,
    fingerprint,
    load_private_key,
    signature_files,
    write_signature,
)

RESULTS_NAME = "results.json"


@dataclass
class Verification:
    """What ``harness verify`` found: an empty ``problems`` means every file and signature checks out."""

    problems: list[str] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)
    missing_roles: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_record(run_dir: Path) -> AuditRecord:
    try:
        return AuditRecord.model_validate(json.loads((run_dir / RESULTS_NAME).read_text(encoding="utf-8")))
    except FileNotFoundError as exc:
        raise ManifestError(f"{RESULTS_NAME}: missing") from exc
    except (OSError, ValueError, ValidationError) as exc:
        raise ManifestError(f"{RESULTS_NAME}: unreadable ({type(exc).__name__})") from exc


def approvals_of(run_dir: Path, statement: dict[str, Any], *, trusted: set[str] | None = None) -> list[Approval]:
    return [check_signature(path, statement, trusted=trusted) for path in signature_files(run_dir)]


def refresh_report(run_dir: Path) -> Path:
    """Re-render the sign-off section of index.html from results.json and the signature files."""
    statement = read_manifest(run_dir)
    section = render_section(read_record(run_dir), approvals_of(run_dir, statement))
    path = run_dir / REPORT_NAME
    try:
        html = replace_section(path.read_text(encoding="utf-8"), section)
    except (OSError, UnicodeDecodeError, SectionError) as exc:
        raise ManifestError(f"{REPORT_NAME}: cannot re-render its sign-off section ({exc})") from exc
    temporary = path.with_name(f".{REPORT_NAME}.{os.getpid()}")
    temporary.write_text(html, encoding="utf-8")
    temporary.replace(path)
    return path


def sign_run(run_dir: Path, key_path: Path, *, role: str, name: str,
             signed_at: dt.datetime | None = None) -> tuple[Path, Approval]:
    """Sign the run as ROLE/NAME with the private key; raises SigningError or ManifestError."""
    key = load_private_key(key_path)
    statement = read_manifest(run_dir)
    changed = check_files(run_dir, statement)
    if changed:
        raise SigningError("the run's files do not match its manifest, so there is nothing sound to sign:\n  "
                           + "\n  ".join(changed))
    path = write_signature(run_dir, statement, key, role=role, name=name, signed_at=signed_at)
    approval = check_signature(path, statement, trusted={fingerprint(key.public_key())})
    refresh_report(run_dir)
    return path, approval


def verify_run(run_dir: Path, *, trusted: set[str] | None = None) -> Verification:
    """Check everything; ``trusted`` (key fingerprints) None accepts a signature made with any valid key."""
    out = Verification()
    try:
        statement = read_manifest(run_dir)
    except ManifestError as exc:
        out.problems.append(str(exc))
        return out
    out.problems += check_files(run_dir, statement)
    out.approvals = approvals_of(run_dir, statement, trusted=trusted)
    out.problems += [f"signatures/{a.file}: {a.problem}" for a in out.approvals if not a.verified]
    try:
        record = read_record(run_dir)
    except ManifestError as exc:
        out.problems.append(str(exc))
        return out
    verified = {a.role.strip().lower() for a in out.approvals if a.verified}
    out.missing_roles = [r for r in record.checklist.signoff_roles if r.strip().lower() not in verified]
    out.problems += _section_problems(run_dir, record, statement)
    return out


def _section_problems(run_dir: Path, record: AuditRecord, statement: dict[str, Any]) -> list[str]:
    """The report's sign-off section must be the one the signature files give (checked against any valid key)."""
    try:
        _, section, _ = split((run_dir / REPORT_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SectionError):
        return []  # already reported by check_files: index.html is missing or changed
    if section != render_section(record, approvals_of(run_dir, statement)):
        return [f"{REPORT_NAME}: its sign-off section does not show what the signature files say "
                "(changed by hand, or signatures added without `harness report RUN_DIR`)"]
    return []
