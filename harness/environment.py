"""The audit environment: what every check of one audit shares (the core's side of ``contract.context``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from readiness_harness.contract.context import Prometheus, PrometheusUnavailable
from readiness_harness.contract.evidence import Window
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.registry import Capability
from readiness_harness.loadtests import locustfiles
from readiness_harness.provision import RunningTarget
from readiness_harness.signoffs import SignOffBook

BUNDLED_LOCUSTFILES = Path(locustfiles.__file__).resolve().parent


def checklist_tree(folder: Path) -> Path:
    """The top of the repository (a folder holding ``.git``) that contains ``folder``, else ``folder``."""
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


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
    confine_paths: bool = False  # an audit confines them unless the user passed --allow-outside-paths

    @property
    def path_roots(self) -> tuple[Path, ...] | None:
        """Where files named in the checklist may be, when confined: the checklist's tree (the repository
        holding it, or its folder outside a repository), this run's own folders and the locustfiles shipped
        with the harness."""
        if not self.confine_paths:
            return None
        roots = [checklist_tree(self.checklist_dir), self.run_dir.resolve(), BUNDLED_LOCUSTFILES]
        if self.target.work_dir is not None:
            roots.append(self.target.work_dir.resolve())
        return tuple(roots)

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
