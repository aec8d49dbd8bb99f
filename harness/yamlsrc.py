"""YAML parsing that remembers where every key and list entry was written, and survives hostile input.

Every user-written YAML file (checklists, targets, attestations, waivers, sensitivity files) is read
here. Before anything walks or builds the document, the node graph is measured without recursion:
an alias that refers to its own node (``&a [*a]``, a self-merge), nesting deeper than
``MAX_DEPTH``, or aliases expanding the document by more than ``ALIAS_BUDGET`` nodes (a billion
laughs) is refused with its line. Reader, scanner and constructor errors (a NUL byte, an integer of
5,000 digits, a 13th month) become problems with a line too; nothing reaches the caller as a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.problems import Problems

PathKey = tuple[str | int, ...]
MAX_DEPTH = 64
ALIAS_BUDGET = 10_000
_BASE_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


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


class _Refused(Exception):
    """The document's shape is refused (depth, aliases); raised with the offending node's line."""

    def __init__(self, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.line = mark.line + 1


class _Loader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """A safe loader whose constructor errors (not YAMLError) name the node that caused them. Without
    libyaml, PyYAML's composer recurses per level: it is stopped at MAX_DEPTH (libyaml stops at 1,000)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            reason = str(exc).split(";")[0]
            raise yaml.constructor.ConstructorError(None, None, f"cannot read this value: {reason}",
                                                    node.start_mark) from exc


def parse(text: str, filename: str) -> tuple[Any, LineMap]:
    """Parse one YAML document; every problem (syntax, duplicate keys, hostile shape) is a ChecklistError."""
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise ChecklistError([Problem(filename, 1, "", "the file is empty", "Write a YAML mapping.")])
        measure(node)
        lines = LineMap()
        problems = Problems()
        _walk(node, (), lines, problems, filename)
        if problems:
            raise problems.error()
        data = loader.construct_document(node)
    except _Refused as exc:
        raise ChecklistError([Problem(filename, exc.line, "", str(exc))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if isinstance(exc, yaml.constructor.ConstructorError):
            raise ChecklistError([Problem(filename, line, "", str(exc.problem), "Quote it to keep it as text.")]) \
                from None
        what = f"YAML syntax error: {exc.problem or exc}"
        raise ChecklistError([Problem(filename, line, "", what, "Check indentation and quoting.")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(0, exc.position)) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        what = f"character #x{char:04x} is not allowed in YAML ({exc.reason})"
        raise ChecklistError([Problem(filename, line, "", what, "Remove control characters from the file.")]) from None
    except yaml.YAMLError as exc:
        raise ChecklistError([Problem(filename, 1, "", f"YAML error: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, lines


def measure(root: yaml.Node) -> None:
    """Walk the node graph once, iteratively: refuse cycles, depth over MAX_DEPTH, and aliases that
    expand the document by more than ALIAS_BUDGET nodes (a shared node is walked once, then its
    expanded size and height are reused)."""
    if isinstance(root, yaml.ScalarNode):
        return
    known: dict[int, tuple[int, int]] = {}  # id(collection node) -> (expanded node count, height)
    on_path = {id(root)}
    visited = 1
    stack: list[list[Any]] = [[root, _children(root), 1, 0]]  # node, children, expanded size, children's height
    while stack:
        frame = stack[-1]
        child = next(frame[1], None)
        if child is not None:
            if isinstance(child, yaml.ScalarNode):
                visited += 1
                frame[2] += 1
                frame[3] = frame[3] or 1
            elif (seen := known.get(id(child))) is not None:
                frame[2] += seen[0]
                frame[3] = max(frame[3], seen[1])
            elif id(child) in on_path:
                raise _Refused("an alias refers to the node that contains it (a recursive alias or a "
                               "self-merge); aliases must point to finished nodes", child.start_mark)
            elif len(stack) >= MAX_DEPTH:
                raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", child.start_mark)
            else:
                visited += 1
                on_path.add(id(child))
                stack.append([child, _children(child), 1, 0])
            continue
        stack.pop()
        node, _, size, below = frame
        on_path.discard(id(node))
        known[id(node)] = (size, below + 1)
        if len(stack) + below + 1 > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels once aliases are expanded", node.start_mark)
        if size - visited > ALIAS_BUDGET:
            raise _Refused(f"aliases expand the document by more than {ALIAS_BUDGET:,} nodes "
                           "(an alias bomb?); write the values out or use fewer aliases", node.start_mark)
        if stack:
            stack[-1][2] += size
            stack[-1][3] = max(stack[-1][3], below + 1)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return iter(node.value)
    return (part for pair in node.value for part in pair)


_NON_FINITE = {".nan", ".inf", "+.inf", "-.inf"}


def _walk(node: yaml.Node, path: PathKey, lines: LineMap, problems: Problems, filename: str) -> None:
    lines.record(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:float" and node.value.lower() in _NON_FINITE:
            problems.add(Problem(filename, node.start_mark.line + 1, format_path(path),
                                    f"'{node.value}' is not a finite number", "Write a number, or quote it."))
        return
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.add(
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
