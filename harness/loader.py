"""Load and validate a checklist: every problem in the file is collected before any is reported."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from readiness_harness.contract.checklist import MAX_TIMEOUT_S, CheckCall, Checklist
from readiness_harness.contract.errors import Problem
from readiness_harness.contract.registry import CALL_KEYS, Registry
from readiness_harness.documents import read_yaml
from readiness_harness.validation import Problems, collect, problems_from, suggest
from readiness_harness.yamlsrc import LineMap, format_path

UNBOUND = "todo"  # written by `harness import` for an item nobody has bound yet


@dataclass(frozen=True)
class LoadedChecklist:
    checklist: Checklist
    path: Path
    sha256: str

    @property
    def directory(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path written in the checklist, relative to the checklist's folder."""
        return (self.directory / relative).resolve()


def load_checklist(path: str | Path, registry: Registry) -> LoadedChecklist:
    """Parse, validate and bind every check's params; raise ChecklistError listing the problems (the
    first few hundred; the rest are counted)."""
    path = Path(path)
    data, lines, text = read_yaml(path)
    file = str(path)
    problems = Problems()
    calls = _validate_calls(data, registry, file, lines, problems)
    checklist = _structure(data, file, lines, problems)
    problems.extend(_duplicate_ids(data, file, lines))
    if problems or checklist is None:
        raise problems.error()
    for (s, i), call in calls.items():
        checklist.sections[s].items[i].check = call
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedChecklist(checklist=checklist, path=path.resolve(), sha256=digest)


def _item_checks(data: Any) -> list[tuple[int, int, Any]]:
    """(section index, item index, raw check) for every item that has a ``check`` mapping."""
    out: list[tuple[int, int, Any]] = []
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return out
    for s, section in enumerate(data["sections"]):
        items = section.get("items") if isinstance(section, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and "check" in item:
                out.append((s, i, item["check"]))
    return out


def _structure(data: Any, file: str, lines: LineMap, problems: Problems) -> Checklist | None:
    """The checklist without params (each check reduced to its call keys), or None with its problems."""
    stripped = _without_params(data)
    try:
        return Checklist.model_validate(stripped)
    except ValidationError as exc:
        collect(problems, exc, model=Checklist, file=file, lines=lines, data=stripped)
        return None


def _validate_calls(
    data: Any, registry: Registry, file: str, lines: LineMap, problems: Problems
) -> dict[tuple[int, int], CheckCall]:
    calls = {}
    for s, i, raw in _item_checks(data):
        where = ("sections", s, "items", i, "check")
        if not isinstance(raw, dict):
            problems.add(Problem(file, lines.line(where), format_path(where), "must be a mapping with a 'type'"))
            continue
        kind = raw.get("type")
        if kind == UNBOUND:
            suggested = raw.get("suggested")
            hint = f"Suggested: {suggested}. " if suggested else ""
            problems.add(Problem(file, lines.line((*where, "type")), format_path(where),
                                 "not bound yet (type: todo)",
                                 f"{hint}Bind it to a check, an `attestation:` or `not_applicable:`."))
            continue
        check_type = registry.get(kind) if isinstance(kind, str) else None
        if check_type is None:
            if problems.full:
                problems.count(1)  # no suggestion is computed for a problem nobody will read
            else:
                problems.add(_unknown_type(kind, registry, file, lines.line((*where, "type")), format_path(where)))
            continue
        params_raw = {k: v for k, v in raw.items() if k not in CALL_KEYS}
        params = _validate_params(check_type.params, params_raw, file, lines, where, problems)
        call = _validate_call_keys(raw, check_type.name, file, lines, where, problems)
        if params is not None and call is not None:
            calls[(s, i)] = call.model_copy(update={"params": params})
    return calls


def _unknown_type(kind: Any, registry: Registry, file: str, line: int | None, where: str) -> Problem:
    known = ", ".join(registry.names())
    renamed = registry.renamed(str(kind))
    hint = (f"'{kind}' is now called '{renamed.name}'." if renamed else
            (suggest(str(kind), registry.names()) or "") + f" Known types: {known}.")
    what = "missing required key 'type'" if kind is None else f"unknown check type '{kind}'"
    return Problem(file, line, where, what, hint.strip())


def _validate_call_keys(raw: dict[str, Any], name: str, file: str, lines: LineMap, where: tuple[str | int, ...],
                        problems: Problems) -> CheckCall | None:
    """``timeout`` and ``exclusive`` against the CheckCall model (bounded, finite, typed)."""
    keys = {k: raw[k] for k in ("timeout", "exclusive") if k in raw}
    try:
        return CheckCall.model_validate({"type": name, **keys})
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            key = str(err["loc"][0])
            what = (f"timeout must be a positive number of seconds (finite, at most {MAX_TIMEOUT_S:g})"
                    if key == "timeout" else f"{key} must be true or false")
            problems.add(Problem(file, lines.line((*where, key)), format_path(where), f"{what}, not {raw.get(key)!r}"))
        return None


def _validate_params(
    model: type[BaseModel], raw: dict[str, Any], file: str, lines: LineMap, where: tuple[str | int, ...],
    problems: Problems,
) -> Any:
    try:
        params = model.model_validate(raw)
    except ValidationError as exc:
        found = problems_from(exc, model=model, file=file, lines=lines, data=raw, prefix=where, limit=problems.room)
        problems.extend(_with_call_keys(p, model, where) for p in found)
        problems.count(exc.error_count() - len(found))
        return None
    bad = [(*where, *path) for path in non_finite(params.model_dump())]
    for path in bad:  # "nan" or "inf" written as text: pydantic reads it as a float, no comparison holds
        problems.add(Problem(file, lines.line(path), format_path(path), "not a finite number",
                             "Write a number."))
    return None if bad else params


def non_finite(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Paths of every NaN or infinite float inside a dumped model."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite(v, (*path, k))]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in non_finite(v, (*path, i))]
    return []


def _with_call_keys(problem: Problem, model: type[BaseModel], where: tuple[str | int, ...]) -> Problem:
    """Params keys sit beside ``type`` and ``timeout``: suggest among all of them."""
    if problem.path != format_path(where) or not problem.message.startswith("unknown key"):
        return problem
    key = problem.message.split("'")[1]
    choices = [*CALL_KEYS, *(f.alias or n for n, f in model.model_fields.items())]
    hint = suggest(key, choices) or f"Allowed keys: {', '.join(sorted(choices))}."
    return Problem(problem.file, problem.line, problem.path, problem.message, hint)


def _without_params(data: Any) -> Any:
    """A copy in which each check is reduced to its call keys, for structural validation."""
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        return data
    copy = dict(data)
    copy["sections"] = []
    for section in data["sections"]:
        if isinstance(section, dict) and isinstance(section.get("items"), list):
            section = {**section, "items": [_strip_check(item) for item in section["items"]]}
        copy["sections"].append(section)
    return copy


def _strip_check(item: Any) -> Any:
    if isinstance(item, dict) and isinstance(item.get("check"), dict):
        call = {k: v for k, v in item["check"].items() if k == "type"}
        return {**item, "check": call or {"type": "?"}}
    return item


def _duplicate_ids(data: Any, file: str, lines: LineMap) -> list[Problem]:
    """Duplicate item ids, found on the raw document so they show up beside every other problem."""
    problems = []
    seen: dict[str, str] = {}
    sections = data.get("sections") if isinstance(data, dict) else None
    for s, section in enumerate(sections if isinstance(sections, list) else []):
        items = section.get("items") if isinstance(section, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            where = ("sections", s, "items", i, "id")
            if item_id in seen:
                problems.append(Problem(file, lines.line(where), format_path(where[:-1]),
                                        f"duplicate item id '{item_id}' (already used at {seen[item_id]})",
                                        "Item ids must be unique within a checklist."))
            else:
                seen[item_id] = format_path(where[:-1])
    return problems
