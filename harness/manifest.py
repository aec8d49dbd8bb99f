"""The manifest of a run folder: an in-toto Statement (v1) with the test-result predicate (v0.1).

Written last at the end of every audit, as ``manifest.intoto.json`` in the run folder:

- ``subject``: every file of the run folder (results.json, junit.xml, summary.md, results.sarif,
  index.html, journal.jsonl, logs, artifacts), each with its SHA-256; only the manifest itself and
  ``signatures/`` are left out. ``index.html`` is the one exception to a plain file digest: its
  sign-off section changes when someone signs, so its digest is ``sha256WithoutSignoff``, the
  lowercase hex SHA-256 of its UTF-8 text with the section's text between the two
  ``harness:signoff`` markers removed (the markers stay). The section is checked on its own by
  ``harness verify``: it must be what the signature files say.
- ``predicate.result``: PASSED (approved, nothing went wrong), WARNED (approved, but a non-blocking
  item went wrong or a failure was waived) or FAILED (rejected).
- ``predicate.configuration``: the checklist, target, attestations and waivers files, with the
  SHA-256 each had when the audit started.
- ``passedTests`` / ``warnedTests`` / ``failedTests``: item ids. Failed are the items that block
  the verdict; warned are non-blocking items that went wrong and waived items; skipped and
  not-applicable items that block nothing are in none of the lists.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness_harness.contract.events import AuditListener, AuditStarted
from readiness_harness.contract.record import AuditRecord
from readiness_harness.contract.status import Status
from readiness_harness.reports.signoff import SectionError, without_section

MANIFEST_NAME = "manifest.intoto.json"
SIGNATURES_DIR = "signatures"
REPORT_NAME = "index.html"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
TEST_RESULT_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
SECTIONLESS = "sha256WithoutSignoff"


class ManifestError(Exception):
    """The run folder has no readable manifest."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def report_digest(path: Path) -> str:
    """``sha256WithoutSignoff`` of index.html; raises SectionError when its section cannot be found."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SectionError("not UTF-8 text") from exc
    return hashlib.sha256(without_section(text).encode("utf-8")).hexdigest()


def digest_of(run_dir: Path, name: str) -> dict[str, str]:
    path = run_dir / name
    return {SECTIONLESS: report_digest(path)} if name == REPORT_NAME else {"sha256": sha256_file(path)}


def run_files(run_dir: Path) -> list[str]:
    """Every file of the run folder as a POSIX path relative to it, sorted; the manifest and signatures left out."""
    out = []
    for path in run_dir.rglob("*"):
        relative = path.relative_to(run_dir).as_posix()
        if relative == MANIFEST_NAME or relative.split("/", 1)[0] == SIGNATURES_DIR or path.is_dir():
            continue
        out.append(relative)
    return sorted(out)


def configuration_descriptor(path: Path, role: str) -> dict[str, Any]:
    """An in-toto ResourceDescriptor of one configuration file (its path relative to the working folder if inside)."""
    resolved = path.resolve()
    try:
        name = resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        name = resolved.as_posix()
    return {"name": name, "digest": {"sha256": sha256_file(resolved)}, "annotations": {"role": role}}


def predicate(record: AuditRecord, configuration: list[dict[str, Any]], url: str | None) -> dict[str, Any]:
    failed = [i.id for i in record.items if i.blocking]
    warned = [i.id for i in record.items if not i.blocking and (i.status.failing or i.status == Status.WAIVED)]
    passed = [i.id for i in record.items if i.status.passing]
    result = "FAILED" if record.verdict == "REJECTED" else "WARNED" if warned else "PASSED"
    out: dict[str, Any] = {"result": result, "configuration": configuration}
    if url:
        out["url"] = url
    out.update(passedTests=passed, warnedTests=warned, failedTests=failed)
    return out


def build_statement(record: AuditRecord, run_dir: Path, *, configuration: list[dict[str, Any]],
                    url: str | None = None) -> dict[str, Any]:
    subject = [{"name": name, "digest": digest_of(run_dir, name)} for name in run_files(run_dir)]
    return {"_type": STATEMENT_TYPE, "subject": subject, "predicateType": TEST_RESULT_TYPE,
            "predicate": predicate(record, configuration, url)}


def write_manifest(run_dir: Path, statement: dict[str, Any]) -> Path:
    path = run_dir / MANIFEST_NAME
    temporary = path.with_name(f".{MANIFEST_NAME}.{os.getpid()}")
    temporary.write_text(json.dumps(statement, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def read_manifest(run_dir: Path) -> dict[str, Any]:
    """The run's Statement; raises ManifestError saying what is wrong with it."""
    path = run_dir / MANIFEST_NAME
    try:
        statement = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"{MANIFEST_NAME}: missing (the run was not written by an audit that keeps one)") from exc
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{MANIFEST_NAME}: unreadable ({type(exc).__name__})") from exc
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE \
            or statement.get("predicateType") != TEST_RESULT_TYPE or not isinstance(statement.get("subject"), list):
        raise ManifestError(f"{MANIFEST_NAME}: not an in-toto Statement with the test-result predicate")
    return statement


def check_files(run_dir: Path, statement: Mapping[str, Any]) -> list[str]:
    """What differs between the folder and the manifest: missing, changed and unlisted files, one line each."""
    problems: list[str] = []
    listed: set[str] = set()
    for entry in statement["subject"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not isinstance(entry.get("digest"), dict):
            problems.append(f"{MANIFEST_NAME}: a subject without a name or digest")
            continue
        listed.add(name)
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{name}: outside the run folder")
            continue
        if not (run_dir / name).is_file():
            problems.append(f"{name}: missing")
            continue
        try:
            actual = digest_of(run_dir, name)
        except SectionError as exc:
            problems.append(f"{name}: changed ({exc})")
            continue
        if actual != entry["digest"]:
            problems.append(f"{name}: changed (its digest is not the manifest's)")
    problems += [f"{name}: not in the manifest" for name in run_files(run_dir) if name not in listed]
    return problems


def ci_run_url(environ: Mapping[str, str]) -> str | None:
    """The CI run's address, when the audit runs in GitHub Actions or GitLab CI."""
    if environ.get("GITHUB_RUN_ID") and environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
    return environ.get("CI_JOB_URL") or None


class ManifestWriter(AuditListener):
    """Digests the configuration files when the audit starts; writes the manifest when it ends.

    Place it after every listener that writes into the run folder: the manifest lists what is there.
    """

    def __init__(self, *, url: str | None = None) -> None:
        self.url = url
        self.configuration: list[dict[str, Any]] = []

    def audit_started(self, started: AuditStarted) -> None:
        self.configuration = [configuration_descriptor(path, role) for role, path in started.configuration
                              if path.is_file()]

    def audit_finished(self, record: AuditRecord, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_manifest(run_dir, build_statement(record, run_dir, configuration=self.configuration, url=self.url))
