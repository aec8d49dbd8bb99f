"""User-written YAML documents (checklists, targets, attestations, waivers, sensitivity files): read
with the line of every key kept, then validated against a model with every problem collected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.validation import problems_from
from readiness_harness.yamlsrc import LineMap, parse


def read_yaml(path: Path) -> tuple[Any, LineMap, str]:
    """Read and parse a user-written YAML file; a missing file is a ChecklistError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ChecklistError([Problem(str(path), None, "", "file not found", "Check the path.")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ChecklistError([Problem(str(path), None, "", f"cannot read the file: {exc}")]) from exc
    data, lines = parse(text, str(path))
    return data, lines, text


def validate_model(model: type[BaseModel], data: Any, *, file: str, lines: LineMap) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from(exc, model=model, file=file, lines=lines, data=data)
