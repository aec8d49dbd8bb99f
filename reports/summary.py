"""``summary.md``: a Markdown summary fit for a CI step summary or a pull-request comment."""

from __future__ import annotations

from pathlib import Path

from harness.record import AuditRecord
from harness.result import Status

ICONS = {"passed": "✅", "failed": "❌", "error": "💥", "inconclusive": "❔", "attested": "🖊️",
         "unattested": "⚠️", "waived": "🛡️", "not_applicable": "➖", "skipped": "⏭️"}


def render_summary(record: AuditRecord) -> str:
    lines = [f"## {ICONS['passed'] if record.verdict == 'APPROVED' else ICONS['failed']} "
             f"{record.checklist.title}: **{record.verdict}**", ""]
    lines.append(f"Readiness score {record.score:g}/100 · {len(record.items)} items · "
                 f"run `{record.run_id}` · {record.duration_s:.1f} s")
    if not record.complete:
        lines.append(f"\n> Partial report: the run was interrupted ({record.interrupted}).")
    lines += ["", "| status | count |", "|---|---|"]
    lines += [f"| {ICONS[s]} {s} | {n} |" for s, n in record.counts.items() if n]
    problems = [i for i in record.items if i.blocking or i.status in (Status.FAILED, Status.ERROR)]
    if problems:
        lines += ["", "### Items that need attention", ""]
        lines += ["| item | severity | status | message |", "|---|---|---|---|"]
        for item in problems:
            message = item.message.replace("|", "\\|").replace("\n", " ")[:200]
            lines.append(f"| `{item.id}` {item.title} | {item.severity.value} | {item.status.value} | {message} |")
    for extra in record.notes:
        lines += ["", f"- {extra}"]
    return "\n".join(lines) + "\n"


def write_summary(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_summary(record), encoding="utf-8")
    return path
