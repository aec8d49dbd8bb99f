"""One path syntax into JSON and YAML documents, used by every check type that reads a field.

    error.code              a key, then a key inside it
    tables.0.name           a number: a list's entry (or the key "0" of a mapping); -1 is the last entry
    tables[0].name          the same, in brackets
    containers[*].image     every entry of a list (or every value of a mapping); containers.*.image alike
    labels["app.kubernetes.io/name"]    a key holding dots or brackets, quoted

Paths start at the document's top level (no ``$``). Wildcards select many values, so only the
fields that judge many values (``yaml_file``'s ``require[].path``) accept them. A path that can
never match (``a..b``, ``$.a``, ``a.[0]``, an unclosed bracket) is refused when the checklist is
validated, with the path written the way it should be.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator


class Missing:
    """Marker for a path that does not exist in the document."""

    def __repr__(self) -> str:
        return "<missing>"


class Wildcard:
    """A step that fans out over every entry of a list or value of a mapping."""

    def __repr__(self) -> str:
        return "[*]"


MISSING = Missing()
WILDCARD = Wildcard()
Step = str | int | Wildcard

_NAME = re.compile(r"[^.\[\]]+")
_BRACKET = re.compile(r"""\[(?:(?P<index>-?\d+|\*)|(?P<q>["'])(?P<quoted>.*?)(?P=q))\]""")
_NUMBER = re.compile(r"-?\d+")
_LENIENT = re.compile(r"""\[\s*(-?\d+|\*)\s*\]|\[\s*["']([^"']*)["']\s*\]|\[\s*([^\]]*?)\s*\]|([^.\[\]]+)""")


class PathError(ValueError):
    """A path that can never match; ``fix`` is the path as it was probably meant, when one can be found."""

    def __init__(self, path: str, problem: str, fix: str | None = None) -> None:
        self.path, self.problem, self.fix = path, problem, fix
        hint = f"; write '{fix}'" if fix else ""
        super().__init__(f"path '{path}': {problem}{hint}")


def parse(path: str) -> tuple[Step, ...]:
    """The steps of ``path``; raises PathError saying why it can never match, with the fix."""
    if not path.strip():
        raise PathError(path, "a path cannot be empty")
    if path.startswith("$"):
        raise PathError(path, "paths start at the top level, without '$'", _suggestion(path))
    steps: list[Step] = []
    position = 0
    while position < len(path):
        step, position = _next_step(path, position, first=not steps)
        steps.append(step)
    return tuple(steps)


def _next_step(path: str, position: int, *, first: bool) -> tuple[Step, int]:
    if (bracket := _BRACKET.match(path, position)) is not None:
        if bracket.group("quoted") is not None:
            return bracket.group("quoted"), bracket.end()
        index = bracket.group("index")
        return (WILDCARD if index == "*" else int(index)), bracket.end()
    if path[position] == "[":
        raise PathError(path, "a bracket holds a number, '*' or a quoted key, and closes with ']'", _suggestion(path))
    start = position
    if not first:
        if path[position] != ".":
            raise PathError(path, f"a '.' is missing before '{path[position:]}'", _suggestion(path))
        start += 1
    name = _NAME.match(path, start)
    if name is None:
        raise PathError(path, _unreadable(path, start), _suggestion(path))
    text = name.group(0)
    if text.strip() != text:
        raise PathError(path, f"'{text}' begins or ends with a space", _suggestion(path))
    if text == "*":
        return WILDCARD, name.end()
    return (int(text) if _NUMBER.fullmatch(text) else text), name.end()


def _unreadable(path: str, position: int) -> str:
    if position >= len(path):
        return "it ends with '.'"
    char = path[position]
    if char == ".":
        return "it has an empty step ('..')" if position else "it starts with '.'"
    if char == "[":
        return "a '.' stands before '['"
    return f"unexpected '{char}'"


def format_path(steps: tuple[Step, ...]) -> str:
    """The canonical way to write ``steps``: names with dots, numbers and wildcards in brackets."""
    out = ""
    for step in steps:
        if isinstance(step, Wildcard):
            out += "[*]"
        elif isinstance(step, int):
            out += f"[{step}]"
        elif _NAME.fullmatch(step) and step.strip() == step and step != "*" and not _NUMBER.fullmatch(step):
            out += f".{step}" if out else step
        else:
            out += f'["{step}"]'
    return out


def _suggestion(path: str) -> str | None:
    """The path read leniently (stray dots, '$', spaces and unquoted bracket keys forgiven), if that reads."""
    steps: list[Step] = []
    for index, quoted, loose, name in _LENIENT.findall(path.lstrip("$")):
        if index:
            steps.append(WILDCARD if index == "*" else int(index))
        elif quoted or loose:
            steps.append(quoted or loose)
        elif name.strip() and name.strip() != "$":
            text = name.strip()
            steps.append(WILDCARD if text == "*" else int(text) if _NUMBER.fullmatch(text) else text)
    if not steps:
        return None
    fixed = format_path(tuple(steps))
    try:
        parse(fixed)
    except PathError:
        return None
    return fixed if fixed != path else None


def walk(document: Any, path: str | tuple[Step, ...]) -> list[Any]:
    """Every value at ``path``: wildcards fan out; a branch without the path yields MISSING."""
    current = [document]
    for step in parse(path) if isinstance(path, str) else path:
        current = [found for value in current for found in _step(value, step)]
    return current


def lookup(document: Any, path: str) -> Any:
    """The one value at ``path``, or MISSING. A path with a wildcard is refused (use :func:`walk`)."""
    steps = parse(path)
    if any(isinstance(step, Wildcard) for step in steps):
        raise PathError(path, "a wildcard selects many values where one is read", _first_entry(steps))
    return walk(document, steps)[0]


def _step(value: Any, step: Step) -> list[Any]:
    if value is MISSING:
        return [MISSING]
    if isinstance(step, Wildcard):
        if isinstance(value, list):
            return list(value)
        return list(value.values()) if isinstance(value, dict) else [MISSING]
    if isinstance(step, int) and isinstance(value, list):
        return [value[step]] if -len(value) <= step < len(value) else [MISSING]
    if isinstance(value, dict):
        for key in (step, str(step)) if isinstance(step, int) else (step,):
            if key in value:
                return [value[key]]
    return [MISSING]


def _first_entry(steps: tuple[Step, ...]) -> str:
    return format_path(tuple(0 if isinstance(s, Wildcard) else s for s in steps))


def single_path(path: str) -> str:
    """Validator: a path that reads one value (no wildcard)."""
    steps = parse(path)
    if any(isinstance(step, Wildcard) for step in steps):
        raise PathError(path, "a wildcard selects many values but this field reads one", _first_entry(steps))
    return path


def many_path(path: str) -> str:
    """Validator: a path that may fan out with wildcards."""
    parse(path)
    return path


JsonPath = Annotated[str, AfterValidator(single_path)]
JsonPathMany = Annotated[str, AfterValidator(many_path)]
