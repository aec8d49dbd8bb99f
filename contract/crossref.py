"""Cross-references a check type can verify before anything starts: names and files its params point at.

``harness validate`` and the audit's preparation call each item's hook (declared by the check type as
``crossref=``) with the item's parsed params and a :class:`CrossrefContext`; the hook returns
:class:`Finding` s, each located by its path inside the params, and the core turns them into problems
with file and line. The core never names a check type: what a type's params refer to (a process, a
fault proxy, a locustfile) is the type's own knowledge.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ParamsPath = tuple[str | int, ...]


@dataclass(frozen=True)
class TargetFacts:
    """What the target file declares, for hooks to compare names against."""

    file: Path
    processes: frozenset[str]
    proxies: frozenset[str]  # `proxies:` entries and the fault proxies named after proxied dependencies
    dependencies: frozenset[str]


@dataclass(frozen=True)
class Finding:
    """One reference that cannot resolve: where in the params, what is wrong, and a fix."""

    path: ParamsPath
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class CrossrefContext:
    """Where the checklist lives and, when the audit starts the service, what its target file declares."""

    checklist_dir: Path
    target: TargetFacts | None = None

    def resolve(self, relative: str) -> Path:
        """A path written in the checklist, relative to the checklist's folder."""
        return (self.checklist_dir / relative).resolve()

    def file_missing(self, relative: str, path: ParamsPath, *, what: str = "file") -> list[Finding]:
        """A finding when ``relative`` (a checklist-relative path without placeholders) does not exist."""
        if "{" in relative:
            return []
        resolved = self.resolve(relative)
        if resolved.exists():
            return []
        nearby = _similar_file(resolved)
        hint = (f"Did you mean '{os.path.relpath(nearby, self.checklist_dir)}'?" if nearby
                else "Paths are relative to the checklist's folder.")
        return [Finding(path, f"{what} '{relative}' does not exist ({resolved})", hint)]

    def name_missing(self, name: str, known: Iterable[str], path: ParamsPath, *, what: str,
                     plural: str) -> list[Finding]:
        """A finding when ``name`` is not among ``known`` (the target's processes, proxies, ...)."""
        choices = sorted(known)
        if name in choices or self.target is None or "{" in name:
            return []
        close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
        hint = f"Did you mean '{close[0]}'? " if close else ""
        listed = f"Its {plural}: {', '.join(choices)}." if choices else f"It has no {plural}."
        return [Finding(path, f"no {what} named '{name}' in the target file {self.target.file.name}",
                        hint + listed)]

    def process_missing(self, name: str, path: ParamsPath) -> list[Finding]:
        """A finding when the target file starts no process called ``name``."""
        if self.target is None:
            return []
        return self.name_missing(name, self.target.processes, path, what="process", plural="processes")

    def proxy_missing(self, name: str, path: ParamsPath) -> list[Finding]:
        """A finding when the target has no fault proxy called ``name``."""
        if self.target is None:
            return []
        return self.name_missing(name, self.target.proxies, path, what="fault proxy", plural="fault proxies")


def _similar_file(missing: Path) -> Path | None:
    """A file beside the missing one with a similar name."""
    folder = missing.parent
    if not folder.is_dir():
        return None
    close = difflib.get_close_matches(missing.name, [p.name for p in folder.iterdir()], n=1, cutoff=0.6)
    return folder / close[0] if close else None


CrossrefHook = Callable[[Any, CrossrefContext], list[Finding]]
