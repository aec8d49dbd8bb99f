"""The item rules: which lines of a Markdown readiness checklist are items, and where they sit.

An item is
  * a checkbox line: ``- [ ] ...`` (claimed false) or ``- [x] ...`` (claimed true);
  * a claim line: a list entry that carries ✅ (or its mojibake) or starts with a status word
    (``**FIXED**:``, ``IMPLEMENTED``, ``VERIFIED``, ``RESOLVED``), or a table row with ✅ in a cell
    (claimed true);
  * a heading that is numbered (``### 5. Chain Reorganization Handling``) or carries ✅, when no
    other item sits under it (claimed true when its body asserts it done, otherwise unknown).
Lines inside fenced code blocks are never items (they are command output and code).
Every other heading that holds items becomes a section.

``parse_markdown`` applies the rules; ``count_items`` is the one count every caller uses.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from readiness_harness.importer.encoding import has_check_mark, repair_text, strip_check_marks

ItemKind = Literal["checkbox", "claim", "table", "heading"]

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CHECKBOX = re.compile(r"^\s*[-*+]\s+\[([ xX])\]\s+(.*)$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_STATUS_WORD = re.compile(r"^(?:\*\*|__)?(FIXED|IMPLEMENTED|VERIFIED|RESOLVED)(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*")
_NUMBERED = re.compile(r"^(?:\*\*)?\d+\.\s+")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")
# A heading item's body asserts it done: a status word, or an "Implementation:"/"Solution:" field.
_DONE_BODY = re.compile(r"\b(FIXED|IMPLEMENTED|VERIFIED|RESOLVED)\b|^(Implementation|Solution(?: Implemented)?)\b")


@dataclass
class ParsedItem:
    line: int
    kind: ItemKind
    title: str
    text: str
    claimed: bool | None
    section: str = ""
    description: str = ""


@dataclass
class ParsedSection:
    title: str
    line: int
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedDocument:
    title: str
    sections: list[ParsedSection]
    lines: list[str]

    def items(self) -> list[ParsedItem]:
        return [item for section in self.sections for item in section.items]


@dataclass
class _Heading:
    line: int
    level: int
    text: str
    end: int = 0
    is_item: bool = False
    parent: _Heading | None = None


def clean(text: str) -> str:
    """Markdown emphasis and check marks removed, whitespace collapsed; backticks kept."""
    text = strip_check_marks(text).replace("**", "").replace("__", "")
    return re.sub(r"\s+", " ", text).strip(" -:")


def _candidate(line: str) -> tuple[ItemKind, str, bool] | None:
    """(kind, title, claimed) when a non-heading line is an item."""
    if match := _CHECKBOX.match(line):
        return "checkbox", clean(match.group(2)), match.group(1) != " "
    if (match := _LIST.match(line)) and (has_check_mark(match.group(1)) or _STATUS_WORD.match(match.group(1))):
        return "claim", clean(_STATUS_WORD.sub("", match.group(1), count=1)), True
    stripped = line.strip()
    if stripped.startswith("|") and not _TABLE_RULE.match(stripped) and has_check_mark(stripped):
        cells = [clean(cell) for cell in stripped.strip("|").split("|")]
        return "table", " | ".join(cell for cell in cells if cell), True
    return None


def _scan(lines: list[str]) -> tuple[list[_Heading], dict[int, tuple[ItemKind, str, bool]]]:
    headings: list[_Heading] = []
    candidates: dict[int, tuple[ItemKind, str, bool]] = {}
    fenced = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        if match := _HEADING.match(line):
            headings.append(_Heading(number, len(match.group(1)), match.group(2)))
        elif found := _candidate(line):
            candidates[number] = found
    return headings, candidates


def _nest(headings: list[_Heading], total: int) -> None:
    """Give each heading its scope end and parent; mark leaf numbered or ✅ headings as items."""
    stack: list[_Heading] = []
    for index, heading in enumerate(headings):
        later = (h.line for h in headings[index + 1:] if h.level <= heading.level)
        heading.end = next(later, total + 1)
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        heading.parent = stack[-1] if stack else None
        stack.append(heading)


def _mark_item_headings(headings: list[_Heading], candidates: Mapping[int, object]) -> None:
    for heading in reversed(headings):
        marked = bool(_NUMBERED.match(heading.text)) or has_check_mark(heading.text)
        inside = range(heading.line + 1, heading.end)
        holds = any(n in inside for n in candidates) or any(h.is_item and h.line in inside for h in headings)
        heading.is_item = marked and not holds


def _section_of(heading: _Heading | None) -> _Heading | None:
    while heading is not None and heading.is_item:
        heading = heading.parent
    return heading


def _body(lines: list[str], start: int, end: int) -> list[str]:
    """Non-empty lines in [start, end), outside fences, without list markers."""
    out, fenced = [], False
    for line in lines[start - 1:end - 1]:
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and line.strip():
            out.append(clean(re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)))
    return [text for text in out if text]


def _continuation(lines: list[str], number: int, candidates: Mapping[int, object]) -> str:
    """The indented lines right under a checkbox or claim line (its sub-bullets)."""
    parts = []
    for next_number in range(number + 1, len(lines) + 1):
        line = lines[next_number - 1]
        if not line.strip() or not line[:1].isspace() or next_number in candidates:
            break
        parts.append(clean(re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", line)))
    return "; ".join(p for p in parts if p)


def parse_markdown(text: str) -> ParsedDocument:
    """Sections and items of a Markdown checklist, text repaired, line numbers kept."""
    lines = repair_text(text)
    headings, candidates = _scan(lines)
    _nest(headings, len(lines))
    _mark_item_headings(headings, candidates)
    found: list[tuple[int, ParsedItem, _Heading | None]] = []
    for number, (kind, title, claimed) in candidates.items():
        owner = next((h for h in reversed(headings) if h.line < number and number < h.end), None)
        item = ParsedItem(number, kind, title or clean(lines[number - 1]), lines[number - 1].strip(), claimed,
                          description=_continuation(lines, number, candidates))
        found.append((number, item, _section_of(owner)))
    for heading in (h for h in headings if h.is_item):
        body = _body(lines, heading.line + 1, heading.end)
        done = has_check_mark(heading.text) or any(_DONE_BODY.search(line) for line in body)
        title = clean(_NUMBERED.sub("", heading.text))
        item = ParsedItem(heading.line, "heading", title, lines[heading.line - 1].strip(), True if done else None,
                          description="; ".join(body)[:400])
        found.append((heading.line, item, _section_of(heading.parent)))
    return _assemble(lines, headings, sorted(found, key=lambda entry: entry[0]))


def _assemble(lines: list[str], headings: list[_Heading],
              found: list[tuple[int, ParsedItem, _Heading | None]]) -> ParsedDocument:
    top = next((h for h in headings if h.level == 1), None)
    sections: dict[int, ParsedSection] = {}
    for _, item, owner in found:
        key = owner.line if owner else 0
        if key not in sections:
            sections[key] = ParsedSection(_section_title(owner, top), key)
        item.section = sections[key].title
        sections[key].items.append(item)
    title = clean(top.text) if top else "Imported checklist"
    return ParsedDocument(title=title, sections=list(sections.values()), lines=lines)


def _section_title(heading: _Heading | None, top: _Heading | None) -> str:
    if heading is None:
        return "General"
    parent = heading.parent
    if parent is not None and parent is not top and parent.level > 1:
        return f"{clean(parent.text)} / {clean(heading.text)}"
    return clean(heading.text)


def count_items(markdown: str) -> int:
    """How many items the rules find in a Markdown checklist."""
    return len(parse_markdown(markdown).items())
