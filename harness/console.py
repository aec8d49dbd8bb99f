"""The console: a line per finished item while an audit runs, and the verdict line at the end."""

from __future__ import annotations

from readiness_harness.contract.events import AuditListener
from readiness_harness.contract.record import ItemResult


class ItemLines(AuditListener):
    """One line per finished item: status, severity, id and the start of the message."""

    def item_finished(self, item: ItemResult) -> None:
        print(f"  {item.status.value:<14} {item.severity.value:<8} {item.id}: {item.message[:110]}", flush=True)
