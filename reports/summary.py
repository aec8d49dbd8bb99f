"""``summary.md``: a Markdown summary fit for a CI step summary or a pull-request comment.

Messages quote the target (bodies, JSON values, headers), and a pull-request comment renders
Markdown: every text cell is made inert (:func:`_cell`): no image, link, HTML tag, @mention,
autolinked URL or control character from the target survives as such.
"""

from __future__ import annotations

import re
from pathlib import Path

from readiness_harness.contract.explain import explain_verdict
from readiness_harness.contract.record import AuditRecord, RunDiff, StatusChange
from readiness_harness.contract.safetext import escape_controls
from readiness_harness.contract.status import Status
from readiness_harness.reports.claims import audit_claims

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "inconclusive": "❔", "attested": "🖊️",
         "unattested": "⚠️", "waived": "🛡️", "not_applicable": "➖", "skipped": "⏭️"}
SEVERITIES = ("critical", "high", "medium", "low")
LIST_LIMIT = 20
ZWSP = "\u200b"  # breaks a mention, an autolink or an issue reference without changing what is read
_MARKUP = re.compile(r"([`\[\]|])")  # code spans, links and images, table cells
_AUTOLINKS = ((re.compile(r"@(?=\w)"), f"@{ZWSP}"), (re.compile(r"(?<=:)//"), f"{ZWSP}//"),
              (re.compile(r"\b(www)\.", re.IGNORECASE), f"\\1{ZWSP}."), (re.compile(r"#(?=\d)"), f"#{ZWSP}"))


def render_summary(record: AuditRecord) -> str:
    claims = audit_claims(record.items)
    lines = [f"## {ICONS['passed'] if record.verdict == 'APPROVED' else ICONS['failed']} "
             f"{_cell(record.checklist.title)}: **{record.verdict}**", "", _cell(explain_verdict(record), 600), ""]
    lines.append(f"Readiness score **{record.score:g}/100** · {len(record.items)} items · "
                 f"{len(record.blocking)} blocking · {claims.headline} · "
                 f"run `{record.run_id}` · {record.duration_s:.1f} s")
    if not record.complete:
        lines.append(f"\n> Partial report: the run did not complete ({record.interrupted or 'target error'}).")
    lines += ["", *_counts(record)]
    by_id = {item.id: item for item in record.items}
    if record.blocking:
        lines += ["", "### Blocking items", "", "| item | severity | status | message |", "|---|---|---|---|"]
        for item_id in record.blocking[:LIST_LIMIT]:
            item = by_id[item_id]
            lines.append(f"| `{item.id}` {_cell(item.title)} | {item.severity.value} | "
                         f"{ICONS[item.status.value]} {item.status.value} | {_cell(item.message)} |")
        lines += _more(len(record.blocking))
    if claims.unsupported:
        lines += ["", f"### Unsupported claims ({len(claims.unsupported)})", ""]
        lines += [f"- `{i.id}` {_cell(i.title)}: {i.status.value}" for i in claims.unsupported[:LIST_LIMIT]]
        lines += _more(len(claims.unsupported))
    if claims.partly_verified:
        lines += ["", f"### Partly verified claims ({len(claims.partly_verified)})", ""]
        lines += [f"- `{i.id}` {_cell(i.title)}: not covered: {_cell(i.uncovered)}"
                  for i in claims.partly_verified[:LIST_LIMIT]]
        lines += _more(len(claims.partly_verified))
    if record.diff is not None:
        lines += ["", "### Since the last run", "", *_diff(record.diff)]
    if record.notes:
        lines += ["", *[f"- {_cell(note)}" for note in record.notes]]
    return "\n".join(lines) + "\n"


def _counts(record: AuditRecord) -> list[str]:
    statuses = [s.value for s in Status if record.counts.get(s.value)]
    lines = ["| severity | " + " | ".join(f"{ICONS[s]} {s}" for s in statuses) + " |",
             "|---|" + "---|" * len(statuses)]
    for severity in SEVERITIES:
        row = record.severity_counts.get(severity)
        if row:
            lines.append(f"| {severity} | " + " | ".join(str(row.get(s, 0)) for s in statuses) + " |")
    lines.append("| **all** | " + " | ".join(f"**{record.counts[s]}**" for s in statuses) + " |")
    return lines


def _diff(diff: RunDiff) -> list[str]:
    if diff.previous_run_id is None:
        return [f"- {_cell(note)}" for note in diff.notes]
    lines = [f"Compared with `{diff.previous_run_id}` (verdict {diff.previous_verdict}, "
             f"score {diff.previous_score:g})." if diff.previous_score is not None else
             f"Compared with `{diff.previous_run_id}`.", ""]
    lines += _changes("❌ new failure", diff.new_failures) + _changes("✅ fixed", diff.fixed)
    moved = [m for m in diff.measurements if m.worse is not False]
    for m in moved[:LIST_LIMIT]:
        change = "from 0" if m.change is None else f"{m.change * 100:+.0f}%"
        lines.append(f"- {'⚠️ ' if m.worse else ''}`{m.item}` {_cell(m.name)}: {m.before:g} → {m.after:g} ({change})")
    lines += _more(len(moved))
    improved = len(diff.measurements) - len(moved)
    if improved:
        lines.append(f"- 📈 {improved} measurement{'s' if improved > 1 else ''} improved by "
                     f"{diff.threshold * 100:.0f}% or more (see the HTML report)")
    if not (diff.new_failures or diff.fixed or diff.measurements):
        lines.append(f"- no new failures, no fixes, no measurement moved {diff.threshold * 100:.0f}% or more")
    lines += [f"- {_cell(note)}" for note in diff.notes]
    return lines


def _changes(prefix: str, changes: list[StatusChange]) -> list[str]:
    lines = [f"- {prefix} `{c.id}` {_cell(c.title)}: {c.before.value if c.before else 'new'} → "
             f"{c.after.value if c.after else 'removed'}" for c in changes[:LIST_LIMIT]]
    return lines + _more(len(changes))


def _more(total: int) -> list[str]:
    return [f"- … and {total - LIST_LIMIT} more (see the HTML report)"] if total > LIST_LIMIT else []


def _cell(text: str, limit: int = 200) -> str:
    """Text safe inside a Markdown table cell or list item: one line, control characters escaped,
    markup (code, links and images, pipes, HTML, entities) escaped, and mentions,
    autolinked URLs and issue references broken by a zero-width space."""
    flat = escape_controls(" ".join(text.split()), newlines=False)
    flat = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    flat = flat.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = _MARKUP.sub(r"\\\1", flat)
    for pattern, replacement in _AUTOLINKS:
        flat = pattern.sub(replacement, flat)
    return flat


def write_summary(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_summary(record), encoding="utf-8")
    return path
