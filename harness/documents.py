"""User-written YAML documents (checklists, targets, attestations, waivers, sensitivity files): read
with the line of every key kept, then validated against a model with every problem collected.

A file larger than ``max_file_bytes()`` (``HARNESS_MAX_FILE_MB``, default 8 MB; ``--max-file-mb`` on
the command line) is refused before it is read whole, so ``/dev/zero`` or a runaway generated file
costs nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.problems import MAX_PROBLEMS
from readiness_harness.validation import problems_from
from readiness_harness.yamlsrc import LineMap, parse

MAX_FILE_VARIABLE = "HARNESS_MAX_FILE_MB"
DEFAULT_MAX_FILE_MB = 8


def max_file_bytes() -> int:
    """The size limit of one user-written file, from ``HARNESS_MAX_FILE_MB`` (default 8)."""
    try:
        megabytes = float(os.environ.get(MAX_FILE_VARIABLE, DEFAULT_MAX_FILE_MB))
    except ValueError:
        megabytes = DEFAULT_MAX_FILE_MB
    return int(max(megabytes, 0.001) * 1_000_000)


def read_text(path: Path) -> str:
    """The file's text, refused with a problem when missing, unreadable, not UTF-8 or over the limit."""
    limit = max_file_bytes()
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise ChecklistError([Problem(str(path), None, "", "file not found", "Check the path.")]) from exc
    except OSError as exc:
        raise ChecklistError([Problem(str(path), None, "", f"cannot read the file: {exc}")]) from exc
    if len(raw) > limit:
        raise ChecklistError([Problem(str(path), 1, "", f"the file is larger than {limit / 1e6:g} MB",
                                      f"Pass --max-file-mb N (or set {MAX_FILE_VARIABLE}) to read bigger files.")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ChecklistError([Problem(str(path), line, "", f"the file is not UTF-8 text ({exc.reason} "
                                      f"at byte {exc.start})")]) from None


def read_yaml(path: Path) -> tuple[Any, LineMap, str]:
    """Read and parse a user-written YAML file; any problem with it is a ChecklistError."""
    text = read_text(path)
    data, lines = parse(text, str(path))
    return data, lines, text


def validate_model(model: type[BaseModel], data: Any, *, file: str, lines: LineMap) -> tuple[Any, list[Problem]]:
    """The model, or None with the problems (the first ``MAX_PROBLEMS`` of them, and a count of the rest)."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        found = problems_from(exc, model=model, file=file, lines=lines, data=data, limit=MAX_PROBLEMS)
        more = exc.error_count() - len(found)
        return None, [*found, *([Problem(file, None, "", f"... and {more} more problem(s), not listed")]
                               if more else [])]
