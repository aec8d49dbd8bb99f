"""The ``secrets_scan`` check type: detect-secrets over files an item names.

Paths are relative to the checklist's folder and may use placeholders (``{run_dir}`` is the
target's working folder, where the reference service keeps its runtime configuration and data).
Findings show file, line, the detector and the first characters of the secret's SHA-1 (the hash
detect-secrets itself records in baselines); a secret's value never reaches a report.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from detect_secrets import SecretsCollection
from detect_secrets.settings import default_settings
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract import crossref as references
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status

SKIPPED_DIRS = frozenset({".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache",
                          ".ruff_cache", ".pytest_cache", ".hypothesis"})
MAX_FILE_BYTES = 2 * 1024 * 1024
_SETTINGS_LOCK = threading.Lock()  # detect-secrets keeps its settings in a process-wide object


class SecretsScanParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1, description="files or folders, relative to the checklist's folder")
    exclude: list[str] = Field(default_factory=list, description="glob patterns, matched against paths "
                               "relative to each scanned folder (for example 'tests/**')")
    allow: list[str] = Field(default_factory=list, description="known false positives: 'file:line' "
                             "(file relative to the checklist's folder) or a secret's SHA-1 (or its prefix)")
    exclude_plugins: list[str] = Field(default_factory=list, description="detect-secrets plugin class names "
                                       "to leave out, for example KeywordDetector")
    max_files: int = Field(default=5000, ge=1, le=100_000, description="stop with an error beyond this many files")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    type: str
    hash: str

    def allowed_by(self, allow: list[str]) -> bool:
        return any(entry == f"{self.file}:{self.line}" or (len(entry) >= 8 and self.hash.startswith(entry))
                   for entry in allow)


def collect_files(roots: list[Path], exclude: list[str], limit: int) -> tuple[list[Path], list[str], list[str]]:
    """Files under ``roots`` (sorted, bounded by ``limit``), the roots that do not exist, and the
    folders that hold no file to scan."""
    files: list[Path] = []
    missing, empty = [], []
    for root in roots:
        if root.is_file():
            files.append(root)
            continue
        if not root.is_dir():
            missing.append(str(root))
            continue
        before = len(files)
        for path in sorted(root.rglob("*")):
            if len(files) >= limit:
                break
            relative = path.relative_to(root)
            if any(part in SKIPPED_DIRS for part in relative.parts) or not path.is_file():
                continue
            if any(fnmatch.fnmatch(str(relative), pattern) for pattern in exclude):
                continue
            if path.stat().st_size <= MAX_FILE_BYTES:
                files.append(path)
        if len(files) == before:
            empty.append(str(root))
    return files[:limit], missing, empty


def scan(files: list[Path], exclude_plugins: list[str]) -> list[tuple[str, int, str, str]]:
    """(file, line, detector, sha1) for each secret detect-secrets finds."""
    collection = SecretsCollection()
    with _SETTINGS_LOCK, default_settings() as settings:
        for name in exclude_plugins:
            settings.disable_plugins(name)
        for path in files:
            collection.scan_file(str(path))
    return sorted((name, secret.line_number, secret.type, secret.secret_hash) for name, secret in collection)


def _display(path: str, base: Path) -> str:
    """The path as a checklist would write it: relative to the checklist's folder."""
    return os.path.relpath(Path(path).resolve(), base)


async def run_secrets_scan(params: SecretsScanParams, ctx: CheckContext) -> Result:
    """Scan source, configuration and deployment files for hard-coded secrets (detect-secrets)."""
    roots = [ctx.resolve(ctx.expand(path)) for path in params.paths]
    files, missing, empty = await asyncio.to_thread(collect_files, roots, params.exclude, params.max_files)
    if missing:
        return Result.error(f"path not found: {', '.join(missing)}")
    if empty:  # e.g. a service's runtime folder scanned before the service wrote to it
        return Result(status=Status.INCONCLUSIVE, message=f"nothing to scan yet in {', '.join(empty)}: "
                      "an empty folder proves nothing")
    raw = await asyncio.to_thread(scan, files, params.exclude_plugins)
    base = ctx.audit.checklist_dir.resolve()
    findings = [Finding(_display(name, base), line, kind, digest) for name, line, kind, digest in raw]
    open_findings = [f for f in findings if not f.allowed_by(params.allow)]
    allowed = len(findings) - len(open_findings)
    table = Table(title="Findings (values never shown)", columns=["file", "line", "detector", "sha1", "status"],
                  rows=[[f.file, f.line, f.type, f.hash[:12] + "…",
                         "allowed" if f.allowed_by(params.allow) else "open"] for f in findings[:200]])
    observation = Observation(label="secrets found", observed=len(open_findings), expected=0,
                              ok=not open_findings)
    measurements = {"files_scanned": float(len(files)), "findings": float(len(open_findings))}
    if open_findings:
        where = ", ".join(sorted({f"{f.file}:{f.line} ({f.type})" for f in open_findings})[:5])
        return Result.failed(f"{len(open_findings)} possible secret(s): {where}", observation, table, **measurements)
    extra = f" ({allowed} allowed)" if allowed else ""
    return Result.passed(f"no secrets in {len(files)} files{extra}", observation, table, **measurements)


def crossref(params: SecretsScanParams, ctx: references.CrossrefContext) -> list[references.Finding]:
    """Every file or folder to scan exists (paths with placeholders are known only at run time)."""
    return [f for n, path in enumerate(params.paths) for f in ctx.file_missing(path, ("paths", n), what="path")]


EXAMPLE = """\
type: secrets_scan
paths: [../src, ../deploy]
exclude: ["tests/**"]
"""


def register(registry: Registry) -> None:
    registry.register("secrets_scan", SecretsScanParams, example=EXAMPLE, crossref=crossref)(run_secrets_scan)
