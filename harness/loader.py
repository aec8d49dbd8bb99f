"""Load and validate a checklist: every problem in the file is collected before any is reported."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from readiness_harness.contract.checklist import CheckCall, Checklist
from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.contract.registry import CALL_KEYS, Registry
from readiness_harness.documents import read_yaml, validate_model
from readiness_harness.validation import problems_from, suggest
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
    """Parse, validate and bind every check's params; raise ChecklistError listing all problems."""
    path = Path(path)
    data, lines, text = read_yaml(path)
    file = str(path)
    problems: list[Problem] = []
    calls = _validate_calls(data, registry, file, lines, problems)
    checklist, structural = validate_model(Checklist, _without_params(data), file=file, lines=lines)
    problems.extend(structural)
    problems.extend(_duplicate_ids(data, file, lines))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.path))
        raise ChecklistError(problems)
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


def _validate_calls(
    data: Any, registry: Registry, file: str, lines: LineMap, problems: list[Problem]
) -> dict[tuple[int, int], CheckCall]:
    calls = {}
    for s, i, raw in _item_checks(data):
        where = ("sections", s, "items", i, "check")
        if not isinstance(raw, dict):
            problems.append(Problem(file, lines.line(where), format_path(where), "must be a mapping with a 'type'"))
            continue
        kind = raw.get("type")
        if kind == UNBOUND:
            suggested = raw.get("suggested")
            hint = f"Suggested: {suggested}. " if suggested else ""
            problems.append(Problem(file, lines.line((*where, "type")), format_path(where),
                                    "not bound yet (type: todo)",
                                    f"{hint}Bind it to a check, an `attestation:` or `not_applicable:`."))
            continue
        check_type = registry.get(kind) if isinstance(kind, str) else None
        if check_type is None:
            known = ", ".join(registry.names())
            renamed = registry.renamed(str(kind))
            hint = (f"'{kind}' is now called '{renamed.name}'." if renamed else
                    (suggest(str(kind), registry.names()) or "") + f" Known types: {known}.")
            what = "missing required key 'type'" if kind is None else f"unknown check type '{kind}'"
            problems.append(Problem(file, lines.line((*where, "type")), format_path(where), what, hint.strip()))
            continue
        params_raw = {k: v for k, v in raw.items() if k not in CALL_KEYS}
        params, found = _validate_params(check_type.params, params_raw, file, lines, where)
        problems.extend(found)
        timeout = raw.get("timeout")
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            problems.append(Problem(file, lines.line((*where, "timeout")), format_path(where),
                                    f"timeout must be a positive number of seconds, not {timeout!r}"))
            continue
        exclusive = raw.get("exclusive", False)
        if not isinstance(exclusive, bool):
            problems.append(Problem(file, lines.line((*where, "exclusive")), format_path(where),
                                    f"exclusive must be true or false, not {exclusive!r}"))
            continue
        if params is not None:
            calls[(s, i)] = CheckCall(type=check_type.name, timeout=timeout, exclusive=exclusive, params=params)
    return calls


def _validate_params(
    model: type[BaseModel], raw: dict[str, Any], file: str, lines: LineMap, where: tuple[str | int, ...]
) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        found = problems_from(exc, model=model, file=file, lines=lines, data=raw, prefix=where)
        return None, [_with_call_keys(p, model, where) for p in found]


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
