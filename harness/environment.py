"""The audit environment: what every check of one audit shares (the core's side of ``contract.context``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from readiness_harness.contract.context import Prometheus, PrometheusUnavailable
from readiness_harness.contract.evidence import Window
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import Capability
from readiness_harness.provision import RunningTarget
from readiness_harness.signoffs import SignOffBook


@dataclass
class AuditEnvironment:
    """Shared by every check of one audit; implements ``contract.context.Audit``."""

    target: RunningTarget
    run_dir: Path
    checklist_dir: Path
    signoffs: SignOffBook = field(default_factory=SignOffBook)
    started_monotonic: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    windows: dict[str, Window] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    needs: frozenset[Capability] = frozenset()
    results: dict[str, ItemResult] = field(default_factory=dict)
    prometheus_server: Prometheus | None = None
    prometheus_missing: str = "no Prometheus service in this audit"

    def finished(self, item_id: str) -> ItemResult | None:
        """The result of an item that already finished in this audit."""
        return self.results.get(item_id)

    def record_window(self, label: str, start_wall: float, end_wall: float) -> None:
        """Name a span of wall-clock time (for example a load test) so later checks can query it."""
        self.windows[label] = Window(label=label, start=start_wall, end=end_wall)

    def prometheus(self) -> Prometheus:
        """The audit's Prometheus, or PrometheusUnavailable saying why there is none."""
        if self.prometheus_server is None:
            raise PrometheusUnavailable(self.prometheus_missing)
        return self.prometheus_server
