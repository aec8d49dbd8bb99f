"""What a check may use: the target, an HTTP client, placeholders, logs, sign-offs, audit windows.

This is the small public surface check modules depend on; they never reach into the runner.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from readiness_harness.provision import RunningTarget
from readiness_harness.record import ItemResult
from readiness_harness.result import Window
from readiness_harness.signoffs import SignOffBook


@dataclass
class AuditEnvironment:
    """Shared by every check of one audit."""

    target: RunningTarget
    run_dir: Path
    checklist_dir: Path
    signoffs: SignOffBook = field(default_factory=SignOffBook)
    started_monotonic: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    windows: dict[str, Window] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    planned_types: frozenset[str] = frozenset()
    results: dict[str, ItemResult] = field(default_factory=dict)

    def finished(self, item_id: str) -> ItemResult | None:
        """The result of an item that already finished in this audit."""
        return self.results.get(item_id)

    def record_window(self, label: str, start_wall: float, end_wall: float) -> None:
        """Name a span of wall-clock time (for example a load test) so later checks can query it."""
        self.windows[label] = Window(label=label, start=start_wall, end=end_wall)


@dataclass
class CheckContext:
    """Per item: the shared environment plus the item's identity and time budget."""

    env: AuditEnvironment
    item_id: str
    timeout_s: float

    @property
    def base_url(self) -> str:
        return self.env.target.base_url

    @property
    def target(self) -> RunningTarget:
        return self.env.target

    def expand(self, value: Any) -> Any:
        return self.env.target.placeholders.expand(value)

    @property
    def secret_values(self) -> set[str]:
        return self.env.target.placeholders.secret_values

    def client(self, *, timeout_s: float | None = None, base_url: str | None = None) -> httpx.AsyncClient:
        """An HTTP client for the target: no proxies from the environment, no redirects followed."""
        timeout = min(timeout_s or self.timeout_s, self.timeout_s)
        return httpx.AsyncClient(
            base_url=base_url or self.base_url, timeout=timeout, trust_env=False, follow_redirects=False
        )

    def artifact_dir(self) -> Path:
        path = self.env.run_dir / "artifacts" / self.item_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def resolve(self, relative: str) -> Path:
        """A path written in the checklist, relative to the checklist's folder."""
        return (self.env.checklist_dir / relative).resolve()
