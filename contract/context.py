"""What a check may use during an audit, and nothing more.

The core implements these protocols (``harness/environment.py``, ``harness/provision.py``); check
types, the load runner and the fault machinery see only the protocols, so none of them reaches
into the runner, the provisioning or the loader. Services an audit may or may not have (a
Prometheus) come from typed accessors that raise a typed error when unavailable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from readiness_harness.contract.errors import HarnessError
from readiness_harness.contract.evidence import Window
from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.signoffs import Attestation

PROMETHEUS_INSTALL_HINT = ("install Debian's prometheus package (apt-get install prometheus), "
                           "which provides prometheus and promtool")


class PrometheusUnavailable(HarnessError):
    """No Prometheus is running for this audit, or it never became ready."""


class PathOutsideChecklist(HarnessError):
    """A path in the checklist resolves outside the folders an audit may read (``--allow-outside-paths``)."""


class ProcessHandle(Protocol):
    """A process the harness started for the target: signals, liveness and its log."""

    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path

    @property
    def pid(self) -> int | None: ...

    @property
    def alive(self) -> bool: ...

    @property
    def returncode(self) -> int | None: ...

    def send(self, sig: int) -> None: ...

    def log_tail(self, lines: int = 20) -> list[str]: ...

    def log_size(self) -> int: ...

    def log_since(self, offset: int) -> list[str]: ...

    async def wait_exit(self, timeout_s: float) -> int | None:
        """The exit code once the process ends by itself, or None while it still runs after ``timeout_s``."""
        ...

    def redacted_since(self, offset: int) -> set[str]:
        """The secrets the process logged after ``offset`` bytes of its log: they were redacted
        before the log was written, so ``log_since`` shows them as ``[REDACTED]``."""
        ...


class FaultLedger(Protocol):
    """The on-disk record of every fault injected, written before the fault exists."""

    def process_started(self, pid: int, name: str) -> None: ...

    def toxic_added(self, server: str, proxy: str, toxic: str) -> None: ...

    def toxic_removed(self, server: str, proxy: str, toxic: str) -> None: ...

    def proxy_disabled(self, server: str, proxy: str) -> None: ...

    def proxy_enabled(self, server: str, proxy: str) -> None: ...

    def process_fault(self, pid: int, name: str, action: str) -> None:
        """Written before a fault acts on a process (``kill``, ``stop``, ``restart``)."""
        ...

    def process_fault_undone(self, pid: int, name: str, action: str) -> None: ...


class FaultProxies(Protocol):
    """The Toxiproxy of this audit: its API URL, which server it is, and the proxies the target has.

    ``names`` are the names checklists use; ``server_names`` maps each to its name on the server (a
    run-unique prefix keeps audits that share one Toxiproxy apart): give it to the client as ``names=``.
    """

    url: str
    kind: str
    version: str
    names: list[str]
    server_names: dict[str, str]


class Target(Protocol):
    """The service under audit, provisioned by the harness or already running."""

    base_url: str
    proxy_error: str | None

    @property
    def proxy(self) -> FaultProxies | None: ...

    @property
    def ledger(self) -> FaultLedger | None: ...

    @property
    def processes(self) -> Mapping[str, ProcessHandle]:
        """The processes the harness started for the target (none for a target it did not start)."""
        ...

    @property
    def provisioned(self) -> bool: ...

    @property
    def secret_values(self) -> set[str]: ...

    def expand(self, value: Any) -> Any: ...

    def process(self, name: str) -> ProcessHandle: ...

    async def restart(self, name: str) -> float: ...

    def process_copy(self, name: str, *, env: dict[str, str], label: str) -> AbstractAsyncContextManager[ProcessHandle]:
        """Start another copy of the target's process ``name`` (same command and folder) with ``env``;
        the copy is in the run's ledger from its first instant and stopped when the context exits,
        whatever happened (an error, a timeout, a cancelled audit). ``label`` names it in logs and ledger."""
        ...


class Prometheus(Protocol):
    """The audit's own Prometheus, scraping the target."""

    folder: Path

    async def wait_ready(self, timeout_s: float = 60.0) -> str: ...

    async def load_rules(self, path: Path, *, timeout_s: float = 15.0) -> None: ...


class SignOffs(Protocol):
    """The attestations that apply to this audit."""

    today: dt.date

    def attestation_for(self, item_id: str) -> Attestation | None: ...


class Audit(Protocol):
    """Shared by every check of one audit."""

    run_dir: Path
    checklist_dir: Path
    windows: dict[str, Window]

    @property
    def path_roots(self) -> tuple[Path, ...] | None:
        """The folders files named in the checklist must resolve into (None: anywhere, as the user allowed)."""
        ...

    @property
    def target(self) -> Target: ...

    @property
    def signoffs(self) -> SignOffs: ...

    def finished(self, item_id: str) -> ItemResult | None: ...

    def record_window(self, label: str, start_wall: float, end_wall: float) -> None: ...

    def prometheus(self) -> Prometheus: ...


@dataclass
class CheckContext:
    """Per item: the audit it runs in, the item's identity and its time budget."""

    audit: Audit
    item_id: str
    timeout_s: float
    on_progress: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False)

    def progress(self, **fields: Any) -> None:
        """Tell the console how far the check is: ``ctx.progress(elapsed_s=12, planned_s=30, rps=48.5,
        errors=0)`` (fields in ``contract/events.py``). Does nothing when no one listens."""
        if self.on_progress is not None:
            self.on_progress(fields)

    @property
    def base_url(self) -> str:
        return self.audit.target.base_url

    @property
    def target(self) -> Target:
        return self.audit.target

    @property
    def run_dir(self) -> Path:
        return self.audit.run_dir

    def expand(self, value: Any) -> Any:
        """Fill the target's placeholders (``{secret.key}``, ``{port.api}``, ...) in a value."""
        return self.audit.target.expand(value)

    @property
    def secret_values(self) -> set[str]:
        return self.audit.target.secret_values

    def client(self, *, timeout_s: float | None = None, base_url: str | None = None) -> httpx.AsyncClient:
        """An HTTP client for the target: no proxies from the environment, no redirects followed."""
        timeout = min(timeout_s or self.timeout_s, self.timeout_s)
        return httpx.AsyncClient(
            base_url=base_url or self.base_url, timeout=timeout, trust_env=False, follow_redirects=False
        )

    def artifact_dir(self) -> Path:
        path = self.audit.run_dir / "artifacts" / self.item_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def resolve(self, relative: str) -> Path:
        """A path written in the checklist, relative to the checklist's folder. Symbolic links are followed;
        a path that ends up outside ``audit.path_roots`` raises PathOutsideChecklist, so a checklist
        cannot copy ``/etc/shadow`` or a home folder's keys into a report."""
        path = (self.audit.checklist_dir / relative).resolve()
        roots = self.audit.path_roots
        if roots is not None and not any(path.is_relative_to(root) for root in roots):
            raise PathOutsideChecklist(
                f"'{relative}' resolves outside the checklist's folder tree ({roots[0]}); files named in a "
                "checklist must be inside it (the audit's --allow-outside-paths lifts this)")
        return path

    def prometheus(self) -> Prometheus:
        """The audit's Prometheus; raises PrometheusUnavailable saying why there is none."""
        return self.audit.prometheus()
