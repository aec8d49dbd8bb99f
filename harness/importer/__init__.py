"""``harness import``: a Markdown readiness checklist turned into a checklist skeleton.

    encoding   repair of mis-encoded text (ftfy, then an exact code-page round trip)
    markdown   the item rules: sections, checkbox lines, claim lines, numbered headings
    suggest    keyword rules that suggest a check type from an item's wording
    claims     the numbers and names a claim states (p95 < 200 ms, 50 users, 500 req/s, /metrics, 429)
    bind       items bound to checks pre-filled from their claims; the rest left ``todo``
    emit       the YAML text, with ``todo`` checks the loader refuses until bound
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from readiness_harness.importer.bind import Context, bind_item
from readiness_harness.importer.emit import Binder, Binding, Meta, Todo, emit_checklist
from readiness_harness.importer.encoding import read_markdown, repair_line
from readiness_harness.importer.markdown import ParsedDocument, ParsedItem, count_items, parse_markdown


def parse_file(path: str | Path) -> ParsedDocument:
    return parse_markdown(read_markdown(str(path)))


def import_markdown(source: Path, *, output: Path | None = None, target: str | None = None,
                    bind: Binder | None = None, prefill: bool = True, processes: tuple[str, ...] = ("api",)) -> str:
    """The checklist skeleton for ``source``; paths written in it are relative to the output's folder.

    Unless ``prefill`` is false, items whose claims name what a check needs are bound to it (the first
    of ``processes``, the target's, is the one shutdown and log checks use); the rest stay ``todo``."""
    doc = parse_file(source)
    base = (output or Path.cwd() / "checklist.yaml").resolve().parent
    if bind is None and prefill:
        context = Context(processes=processes)

        def bind(item: ParsedItem, _item_id: str) -> Binding | Todo | None:
            return bind_item(item, context)
    checklist_id = re.sub(r"[^A-Za-z0-9._-]+", "-", source.stem).strip("-._") or "imported"
    meta = Meta(id=checklist_id, title=doc.title, source=_relative(source, base), target=target)
    header = f"Imported from {source.name}: {len(doc.items())} items in {len(doc.sections)} sections."
    return emit_checklist(doc, meta, bind=bind, header=header)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base)).as_posix()


__all__ = ["Binder", "Binding", "Context", "Meta", "ParsedDocument", "ParsedItem", "Todo", "bind_item",
           "count_items", "emit_checklist", "import_markdown", "parse_file", "parse_markdown", "repair_line"]
