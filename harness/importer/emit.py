"""YAML emission: a parsed Markdown checklist written as a checklist file, comments included.

Strings are written as JSON strings (a subset of YAML's double-quoted style), so any text a
source holds round-trips unchanged. An item without a binding gets ``check: {type: todo}`` and
a ``# suggested:`` comment (also kept as ``suggested:``, which ``harness validate`` repeats); the loader
refuses ``todo`` until someone binds the item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from readiness_harness.importer.markdown import ParsedDocument, ParsedItem
from readiness_harness.importer.suggest import suggest

TODO_NOTE = ("Every `check: {type: todo}` must become a check, an `attestation: {role: ...}` or a\n"
             "# `not_applicable: {reason: ...}`; the loader refuses 'todo' until then.")


@dataclass(frozen=True)
class Meta:
    id: str
    title: str
    source: str
    target: str | None = None
    attestations: str | None = None
    waivers: str | None = None
    roles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Binding:
    """What an item is bound to: exactly one of ``check``, ``attestation``, ``not_applicable``."""

    binding: dict[str, Any]
    severity: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class Todo:
    """An item left unbound, with what it probably needs (written as ``suggested:`` for validate to repeat)."""

    suggestion: str


Binder = Callable[[ParsedItem, str], Binding | Todo | None]


def slug(text: str, limit: int = 48) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    cut = words[:limit].rsplit("-", 1)[0] if len(words) > limit else words
    return cut or "item"


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def severity_of(item: ParsedItem) -> str:
    """A first guess from the section's wording; reviewers adjust it."""
    words = item.section.lower()
    for level in ("critical", "high", "low"):
        if level in words:
            return level
    return "medium"


class _Dumper(yaml.SafeDumper):
    """Writes shared values out in full: anchors would clash between items of one file."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _block(value: dict[str, Any], indent: int) -> list[str]:
    text = yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None,
                     width=110)
    return [" " * indent + line for line in text.rstrip("\n").splitlines()]


def _item_lines(item: ParsedItem, item_id: str, source_file: str, binding: Binding | Todo | None) -> list[str]:
    pad = " " * 8
    severity = binding.severity if isinstance(binding, Binding) and binding.severity else severity_of(item)
    lines = [f"      - id: {item_id}", f"{pad}title: {quote(item.title)}", f"{pad}severity: {severity}"]
    if item.claimed is not None:
        lines.append(f"{pad}claimed: {'true' if item.claimed else 'false'}")
    lines.append(f"{pad}source: {{file: {quote(source_file)}, line: {item.line}, text: {quote(item.text)}}}")
    if binding is None or isinstance(binding, Todo):
        kind, why = suggest(f"{item.title} {item.description}")
        fallback = f"{kind} ({why})" if kind != "todo" else "nothing in the wording points at a check; bind it by hand"
        suggestion = binding.suggestion if isinstance(binding, Todo) else fallback
        lines.append(f"{pad}# suggested: {suggestion}")
        lines.append(f"{pad}check: {{type: todo, suggested: {quote(suggestion)}}}")
        return lines
    if binding.comment:
        lines.extend(f"{pad}# {line}" for line in binding.comment.splitlines())
    lines.extend(_block(binding.binding, 8))
    return lines


def _meta_lines(meta: Meta) -> list[str]:
    lines = ["checklist:", f"  id: {meta.id}", f"  title: {quote(meta.title)}", f"  source: {quote(meta.source)}"]
    for key in ("target", "attestations", "waivers"):
        value = getattr(meta, key)
        if value:
            lines.append(f"  {key}: {quote(value)}")
    lines.append(f"  signoff: {{roles: [{', '.join(quote(r) for r in meta.roles)}]}}")
    return lines


def emit_checklist(doc: ParsedDocument, meta: Meta, *, bind: Binder | None = None, header: str = "") -> str:
    """The checklist as YAML text; ``bind(item, item_id)`` supplies bindings (None leaves a todo)."""
    used: set[str] = set()
    todo = 0
    body: list[str] = ["sections:"]
    for section in doc.sections:
        section_id = _unique(slug(section.title, 40), used)
        body += [f"  - id: {section_id}", f"    title: {quote(section.title)}", "    items:"]
        for item in section.items:
            item_id = _unique(slug(item.title), used)
            binding = bind(item, item_id) if bind else None
            todo += binding is None or isinstance(binding, Todo)
            body += _item_lines(item, item_id, meta.source, binding)
    notes = [f"# {line}" for line in header.splitlines()]
    if todo:
        notes.append(f"# {todo} item(s) to bind. {TODO_NOTE}")
    return "\n".join([*notes, *_meta_lines(meta), *body]) + "\n"


def _unique(base: str, used: set[str]) -> str:
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate
