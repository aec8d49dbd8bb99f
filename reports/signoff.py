"""The sign-off section of ``index.html``: rendered on its own, found between its markers, replaced.

The audit writes ``index.html`` with the section showing no signatures. Signatures are made later
(``harness sign``), so the section is the one part of the report that changes after the audit: it
sits between two markers, the manifest's digest of ``index.html`` leaves it out, and a re-render
replaces only the text between them. User text in a report is escaped, so a marker cannot be forged
by an item's title or message: ``<`` always arrives as ``&lt;``.
"""

from __future__ import annotations

from collections.abc import Sequence

from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.html import environment
from readiness_harness.reports.view import Approval, signoff_view

BEGIN = "<!-- harness:signoff:begin -->"
END = "<!-- harness:signoff:end -->"


class SectionError(ValueError):
    """The report has no single, well-ordered sign-off section."""


def render_section(record: AuditRecord, approvals: Sequence[Approval] = ()) -> str:
    """The section from its first marker to the end of its last, exactly as ``index.html`` holds it."""
    text = environment().get_template("signoff.html.j2").render(signoff=signoff_view(record, list(approvals)))
    return text[text.index(BEGIN):text.index(END) + len(END)]


def split(html: str) -> tuple[str, str, str]:
    """(before, section, after), the section with both markers; raises SectionError."""
    if html.count(BEGIN) != 1 or html.count(END) != 1:
        raise SectionError(f"expected one sign-off section, found {html.count(BEGIN)} start and "
                           f"{html.count(END)} end marker(s)")
    start, end = html.index(BEGIN), html.index(END) + len(END)
    if end < start:
        raise SectionError("the sign-off section ends before it starts")
    return html[:start], html[start:end], html[end:]


def without_section(html: str) -> str:
    """The report with the section's text cut out (both markers kept): what the manifest digests."""
    before, _, after = split(html)
    return before + BEGIN + END + after


def replace_section(html: str, section: str) -> str:
    before, _, after = split(html)
    return before + section + after
