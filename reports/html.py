"""``index.html``: one self-contained page (inline CSS and SVG, no request to any other host).

Everything user-supplied (titles, messages, response bodies) is autoescaped; the only markup
inserted as-is is the CSS shipped here and the SVG charts matplotlib renders from the record.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from readiness_harness.contract.record import AuditRecord
from readiness_harness.contract.redaction import cut
from readiness_harness.reports.view import build_view

TEMPLATES = Path(__file__).parent / "templates"
BODY_LIMIT = 4000
TEXT_LIMIT = 200


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fmt=fmt, cut=cut, okmark=okmark, local_href=local_href, percent=percent,
                       label=label)
    env.globals["css"] = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))  # the shipped stylesheet
    return env


def fmt(value: Any) -> str:
    """A value as a reviewer reads it: floats to four significant digits, structures as compact JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if value is None:
        return "—"
    if isinstance(value, dict | list | tuple):
        return cut(json.dumps(value, ensure_ascii=False, default=str), TEXT_LIMIT)
    return str(value)


def okmark(ok: bool | None) -> Markup:
    if ok is None:
        return Markup('<span class="mark muted">·</span>')
    return Markup('<span class="mark ok" title="as expected">✔</span>' if ok
                  else '<span class="mark bad" title="not as expected">✘</span>')


def local_href(href: str) -> str | None:
    """The href when it names a file beside the report; None for anything with a scheme or host."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc or href.strip().startswith(("/", "\\")):
        return None
    return href.strip()


def percent(change: float | None) -> str:
    return "from 0" if change is None else f"{change * 100:+.0f}%"


def label(status: str) -> str:
    return status.replace("_", " ")


def render_html(record: AuditRecord) -> str:
    view = build_view(record)
    return environment().get_template("report.html.j2").render(view=view, record=record)


def write_html(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_html(record), encoding="utf-8")
    return path
