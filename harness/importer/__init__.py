"""``harness import``: a Markdown readiness checklist turned into a checklist skeleton.

    encoding   repair of mis-encoded text (ftfy, then an exact code-page round trip)
    markdown   the item rules: sections, checkbox lines, claim lines, numbered headings
    suggest    keyword rules that suggest a check type from an item's wording
    emit       the YAML text, with ``todo`` checks the loader refuses until bound
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from readiness_harness.importer.emit import Binder, Binding, Meta, emit_checklist
from readiness_harness.importer.encoding import read_markdown, repair_line
from readiness_harness.importer.markdown import ParsedDocument, ParsedItem, count_items, parse_markdown


def parse_file(path: str | Path) -> ParsedDocument:
    return parse_markdown(read_markdown(str(path)))


def import_markdown(source: Path, *, output: Path | None = None, target: str | None = None,
                    bind: Binder | None = None) -> str:
    """The checklist skeleton for ``source``; paths written in it are relative to the output's folder."""
    doc = parse_file(source)
    base = (output or Path.cwd() / "checklist.yaml").resolve().parent
    checklist_id = re.sub(r"[^A-Za-z0-9._-]+", "-", source.stem).strip("-._") or "imported"
    meta = Meta(id=checklist_id, title=doc.title, source=_relative(source, base), target=target)
    header = f"Imported from {source.name}: {len(doc.items())} items in {len(doc.sections)} sections."
    return emit_checklist(doc, meta, bind=bind, header=header)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base)).as_posix()


__all__ = ["Binder", "Binding", "Meta", "ParsedDocument", "ParsedItem", "count_items", "emit_checklist",
           "import_markdown", "parse_file", "parse_markdown", "repair_line"]
