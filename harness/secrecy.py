"""Secrets out of what an item leaves behind: its result, and the files in its artifact folder.

The runner seals every result before anyone sees it (journal, reports, console): whatever a check
put in its message or evidence (a JSON value from the target, an exception's text) is redacted
with the target's secrets, and made printable (no lone surrogate or control character). Files a
check's tools wrote into ``artifacts/<item>/`` (Locust's CSV, JSON and HTML, schemathesis's
reports) are rewritten redacted as soon as the item ends.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection
from pathlib import Path

from readiness_harness.contract.redaction import redactor
from readiness_harness.contract.result import Result
from readiness_harness.contract.safetext import printable_value
from readiness_harness.logpump import StreamRedactor

CHUNK = 1024 * 1024


def seal(result: Result, *, secrets: Collection[str], artifacts: Path | None = None) -> Result:
    """``result`` with every secret redacted, after redacting every file under ``artifacts``."""
    if artifacts is not None and artifacts.is_dir():
        redact_files(artifacts, secrets)
    values = redactor(frozenset(secrets))
    return Result.model_validate(printable_value(values.value(result.model_dump(mode="python"))))


def redact_files(folder: Path, secrets: Collection[str]) -> list[Path]:
    """Rewrite every regular file under ``folder`` that holds a secret; returns those rewritten."""
    rewritten = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and redact_file(path, secrets):
            rewritten.append(path)
    return rewritten


def redact_file(path: Path, secrets: Collection[str]) -> bool:
    """Stream ``path`` through the redaction into a sibling file, and replace it when anything changed."""
    stream = StreamRedactor(lambda: secrets)
    temporary = path.with_name(f".{path.name}.redacting")
    try:
        with path.open("rb") as source, temporary.open("wb") as out:
            while chunk := source.read(CHUNK):
                out.write(stream.feed(chunk))
            out.write(stream.finish())
        if stream.changed:
            os.chmod(temporary, path.stat().st_mode & 0o777)
            os.replace(temporary, path)
            return True
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
