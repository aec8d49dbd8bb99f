"""``index.html``: one self-contained page (inline CSS, no request to any other host)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from harness.record import AuditRecord

TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    return env


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "—"
    return str(value)


def render_html(record: AuditRecord, *, extras: dict[str, Any] | None = None) -> str:
    env = _environment()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    sections: dict[str, dict[str, Any]] = {}
    for item in record.items:
        section = sections.setdefault(item.section, {"title": item.section_title, "items": []})
        section["items"].append(item)
    return env.get_template("report.html.j2").render(record=record, sections=sections, css=css, **(extras or {}))


def write_html(record: AuditRecord, path: Path, *, extras: dict[str, Any] | None = None) -> Path:
    path.write_text(render_html(record, extras=extras), encoding="utf-8")
    return path
