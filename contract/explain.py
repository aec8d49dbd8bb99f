"""Why the verdict is what it is, in one line: what blocked, and what failed without blocking.

    APPROVED: no critical or high item failed or went unproven; 3 medium items failed
    REJECTED: 2 high items failed (a, b); 1 critical item inconclusive (c); not blocking: 1 low item failed

The console and ``summary.md`` both print this line, so a score of 40/100 next to APPROVED, or an
approved audit with failed items, never reads as a contradiction.
"""

from __future__ import annotations

from collections import defaultdict

from readiness_harness.contract.checklist import Severity
from readiness_harness.contract.record import AuditRecord, ItemResult
from readiness_harness.contract.status import Status

SHOWN_IDS = 3
STATUS_WORDS = {Status.FAILED: "failed", Status.ERROR: "errored (could not be evaluated)",
                Status.INCONCLUSIVE: "inconclusive", Status.UNATTESTED: "unattested", Status.SKIPPED: "skipped"}


def explain_verdict(record: AuditRecord) -> str:
    """``VERDICT: reason`` for the record."""
    if not record.items:
        return f"{record.verdict}: the checklist has no items"
    if not record.complete:
        why = (f"the audit was interrupted ({record.interrupted})" if record.interrupted
               else "the target could not run")
        unrun = sum(1 for i in record.items if i.status in (Status.SKIPPED, Status.ERROR))
        return f"{record.verdict}: {why}; {unrun} of {len(record.items)} items not evaluated"
    blocking = [i for i in record.items if i.blocking]
    others = [i for i in record.items if not i.blocking and i.status in STATUS_WORDS and i.status != Status.SKIPPED]
    waived = sum(1 for i in record.items if i.status == Status.WAIVED)
    rest = _groups(others, with_ids=False)
    if waived:
        rest.append(f"{waived} failure{'s' if waived > 1 else ''} waived")
    if blocking:
        text = "; ".join(_groups(blocking, with_ids=True))
        return f"{record.verdict}: {text}" + (f"; not blocking: {', '.join(rest)}" if rest else "")
    head = f"{record.verdict}: no critical or high item failed or went unproven"
    return head + (f"; {', '.join(rest)}" if rest else "; nothing failed")


def _groups(items: list[ItemResult], *, with_ids: bool) -> list[str]:
    """'2 high items failed (a, b)' per severity and status, most severe first."""
    grouped: dict[tuple[Severity, Status], list[str]] = defaultdict(list)
    for item in items:
        grouped[(item.severity, item.status)].append(item.id)
    order = list(Severity)
    statuses = list(STATUS_WORDS)
    parts = []
    for (severity, status), ids in sorted(grouped.items(), key=lambda kv: (order.index(kv[0][0]),
                                                                               statuses.index(kv[0][1]))):
        noun = "item" if len(ids) == 1 else "items"
        text = f"{len(ids)} {severity.value} {noun} {STATUS_WORDS[status]}"
        if with_ids:
            shown = ", ".join(ids[:SHOWN_IDS]) + (f", +{len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
            text += f" ({shown})"
        parts.append(text)
    return parts
