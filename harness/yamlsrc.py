"""YAML parsing that remembers where every key and list entry was written."""

from __future__ import annotations

from typing import Any

import yaml

from readiness_harness.contract.errors import ChecklistError, Problem

PathKey = tuple[str | int, ...]


class LineMap:
    """Maps a path into a parsed document (``("sections", 0, "items", 3)``) to its 1-based line."""

    def __init__(self) -> None:
        self._lines: dict[PathKey, int] = {}

    def record(self, path: PathKey, line: int) -> None:
        self._lines.setdefault(path, line)

    def line(self, path: PathKey) -> int | None:
        """The line of ``path``, or of its nearest recorded ancestor."""
        for cut in range(len(path), -1, -1):
            found = self._lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return None


def parse(text: str, filename: str) -> tuple[Any, LineMap]:
    """Parse one YAML document; syntax errors and duplicate keys become a ChecklistError."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ChecklistError([Problem(filename, 1, "", "the file is empty", "Write a YAML mapping.")])
        lines = LineMap()
        problems: list[Problem] = []
        _walk(node, (), lines, problems, filename)
        if problems:
            raise ChecklistError(problems)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = f"YAML syntax error: {exc.problem or exc}"
        raise ChecklistError([Problem(filename, line, "", what, "Check indentation and quoting.")]) from exc
    except yaml.YAMLError as exc:
        raise ChecklistError([Problem(filename, None, "", f"YAML error: {exc}")]) from exc
    finally:
        loader.dispose()
    return data, lines


def _walk(node: yaml.Node, path: PathKey, lines: LineMap, problems: list[Problem], filename: str) -> None:
    lines.record(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(filename, line, format_path(path), f"duplicate key '{key}' (first on line {seen[key]})",
                            "Remove one of them.")
                )
                continue
            seen[key] = line
            lines.record((*path, key), line)
            _walk(value_node, (*path, key), lines, problems, filename)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _walk(child, (*path, index), lines, problems, filename)


def format_path(path: PathKey) -> str:
    """``("sections", 0, "items", 3, "check")`` -> ``sections[0].items[3].check``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
