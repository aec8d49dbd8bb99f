"""Turns validation errors into problems a person can act on: file, line, path, what, fix."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from readiness_harness.contract.errors import Problem
from readiness_harness.yamlsrc import LineMap, PathKey, format_path


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """'Did you mean ...?' for the nearest valid choice, if any is close enough."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"Did you mean '{matches[0]}'?" if matches else None


def problems_from(
    exc: ValidationError, *, model: type[BaseModel], file: str, lines: LineMap, data: Any, prefix: PathKey = ()
) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = document_path(err["loc"], data)
        out.append(_problem(err, loc, model=model, file=file, lines=lines, prefix=prefix))
    return out


def document_path(loc: tuple[Any, ...], data: Any) -> PathKey:
    """The error location as a path into the document: union member tags (``int``,
    ``list[int]``, a model's name) are dropped because they index nothing in the input."""
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif not last or not isinstance(current, dict):
            continue  # a union tag, or a position the input does not have
        path.append(part)
    return tuple(path)


def _problem(
    err: Any, loc: PathKey, *, model: type[BaseModel], file: str, lines: LineMap, prefix: PathKey
) -> Problem:
    kind = err["type"]
    full = (*prefix, *loc)
    line = lines.line(full)
    if kind == "extra_forbidden" and loc:
        key = str(loc[-1])
        allowed = allowed_keys(model, loc[:-1])
        hint = suggest(key, allowed) or (f"Allowed keys: {', '.join(sorted(allowed))}." if allowed else None)
        return Problem(file, line, format_path(full[:-1]), f"unknown key '{key}'", hint)
    if kind == "missing" and loc:
        return Problem(file, line, format_path(full[:-1]), f"missing required key '{loc[-1]}'")
    if kind in ("enum", "literal_error"):
        expected = err.get("ctx", {}).get("expected", "")
        hint = suggest(str(err.get("input")), _quoted_words(expected))
        return Problem(file, line, format_path(full), f"{err['input']!r} is not one of {expected}", hint)
    message = err["msg"].removeprefix("Value error, ")
    return Problem(file, line, format_path(full), message)


def _quoted_words(text: str) -> list[str]:
    return [part.strip(" '\"") for part in text.replace(" or ", ",").split(",") if part.strip(" '\"")]


def allowed_keys(model: type[BaseModel], loc: PathKey) -> set[str]:
    """The keys a mapping at ``loc`` inside ``model`` may have (empty when unknown)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return set()
    current = _unwrap_model(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return {f.alias or name for name, f in current.model_fields.items()}
    return set()


def _step(annotation: Any, part: str | int) -> Any:
    annotation = _unwrap_model(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(part, int):
            return None
        for name, field in annotation.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set) and args and isinstance(part, int):
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap_model(annotation: Any) -> Any:
    """Optional[X] / Annotated[X, ...] / X | None -> X (first model in a union)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _unwrap_model(arg)
    return annotation
